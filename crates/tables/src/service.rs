//! The DynamoDB operations, JSON in and JSON out (the wire members of
//! botocore's `dynamodb/2012-08-10` model), over a [`Storage`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use serde_json::{Map, Value, json};

use crate::expr::{self, Cond, Operand, Path, Placeholders, Step};
use crate::schema::{Index, KeySchema, Pos, TableDef, key_of, key_pos};
use crate::storage::{Storage, StorageError};
use crate::value::{AttributeValue, Item, item_from_json, item_size, item_to_json};

/// Largest item DynamoDB stores.
pub const MAX_ITEM: usize = 400 * 1024;
/// Query and Scan stop a page once they have read this much.
pub const MAX_PAGE: usize = 1024 * 1024;

/// An error in DynamoDB's terms; the HTTP layer adds the namespace.
#[derive(Debug, Clone, PartialEq)]
pub struct DdbError {
    /// `ValidationException`, `ResourceNotFoundException`, …
    pub code: &'static str,
    pub message: String,
    /// Extra body members (`Item` on a failed condition).
    pub extra: Vec<(&'static str, Value)>,
}

impl DdbError {
    pub fn new(code: &'static str, message: impl Into<String>) -> DdbError {
        DdbError {
            code,
            message: message.into(),
            extra: Vec::new(),
        }
    }
    pub fn validation(message: impl Into<String>) -> DdbError {
        DdbError::new("ValidationException", message)
    }
    fn not_found() -> DdbError {
        DdbError::new("ResourceNotFoundException", "Requested resource not found")
    }
    fn serialization(message: impl Into<String>) -> DdbError {
        DdbError::new("SerializationException", message)
    }
    fn condition_failed(old: Option<&Item>, rv: Option<&str>) -> DdbError {
        let mut e = DdbError::new(
            "ConditionalCheckFailedException",
            "The conditional request failed",
        );
        if let (Some(old), Some("ALL_OLD")) = (old, rv) {
            e.extra.push(("Item", item_to_json(old)));
        }
        e
    }
    /// Whether this is a server fault (HTTP 500).
    pub fn is_server(&self) -> bool {
        self.code == "InternalServerError"
    }
}

impl From<StorageError> for DdbError {
    fn from(e: StorageError) -> DdbError {
        DdbError::new("InternalServerError", e.to_string())
    }
}

type R<T> = Result<T, DdbError>;

/// One Query or Scan page being filled: DynamoDB counts every item it reads
/// (`ScannedCount`) against `Limit` and the 1 MB page size, then applies the
/// filter and projection to what it returns.
struct Page<'a> {
    filter: Option<&'a Cond>,
    projection: Option<&'a [Path]>,
    count_only: bool,
    limit: Option<usize>,
    items: Vec<Item>,
    count: usize,
    scanned: usize,
    bytes: usize,
    last: Option<Value>,
}

impl<'a> Page<'a> {
    fn new(
        filter: Option<&'a Cond>,
        projection: Option<&'a [Path]>,
        count_only: bool,
        limit: Option<usize>,
    ) -> Page<'a> {
        Page {
            filter,
            projection,
            count_only,
            limit,
            items: Vec::new(),
            count: 0,
            scanned: 0,
            bytes: 0,
            last: None,
        }
    }

    /// Takes one read item of `size` bytes; true when the page is full
    /// (`last_key` then gives its `LastEvaluatedKey`).
    fn offer(&mut self, item: Item, size: usize, last_key: impl FnOnce(&Item) -> Value) -> bool {
        self.scanned += 1;
        self.bytes += size;
        let full = self.limit.is_some_and(|l| self.scanned >= l) || self.bytes >= MAX_PAGE;
        if full {
            self.last = Some(last_key(&item));
        }
        if self.filter.is_none_or(|c| expr::eval(c, &item)) {
            self.count += 1;
            if !self.count_only {
                self.items.push(match self.projection {
                    Some(p) => expr::project(&item, p),
                    None => item,
                });
            }
        }
        full
    }

    fn into_json(self) -> Value {
        let mut out = json!({"Count": self.count, "ScannedCount": self.scanned});
        if !self.count_only {
            out["Items"] = Value::Array(self.items.iter().map(item_to_json).collect());
        }
        if let Some(l) = self.last {
            out["LastEvaluatedKey"] = l;
        }
        out
    }
}

/// A paging position: index partition bytes, index sort bytes, primary position.
type PagePos = (Vec<u8>, Vec<u8>, Pos);

/// The DynamoDB service over one storage.
pub struct Tables {
    storage: Arc<dyn Storage>,
    defs: RwLock<HashMap<String, TableDef>>,
    /// Serialises writes so conditions see a stable item.
    write: Mutex<()>,
    region: String,
    account: String,
}

fn get<'a>(req: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    req.get(name).filter(|v| !v.is_null())
}

fn string(req: &Map<String, Value>, name: &str) -> R<Option<String>> {
    match get(req, name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(DdbError::serialization(format!(
            "Expected a string for member '{name}'"
        ))),
    }
}

fn required_map<'a>(req: &'a Map<String, Value>, name: &str) -> R<&'a Value> {
    get(req, name).ok_or_else(|| {
        DdbError::validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            lower_first(name)
        ))
    })
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

fn table_name(req: &Map<String, Value>) -> R<String> {
    let name = string(req, "TableName")?.ok_or_else(|| {
        DdbError::validation("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null")
    })?;
    check_name(&name, "tableName")?;
    Ok(name)
}

fn check_name(name: &str, member: &str) -> R<()> {
    if name.len() < 3 || name.len() > 255 {
        return Err(DdbError::validation(format!(
            "1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must have length {}",
            if name.len() < 3 {
                "greater than or equal to 3"
            } else {
                "less than or equal to 255"
            }
        )));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(DdbError::validation(format!(
            "1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )));
    }
    Ok(())
}

fn parse_item(v: &Value) -> R<Item> {
    item_from_json(v).map_err(|m| {
        DdbError::validation(if m.starts_with("One or more") {
            m
        } else {
            format!("One or more parameter values were invalid: {m}")
        })
    })
}

/// The expressions of one request and their placeholders.
struct Exprs {
    ph: Placeholders,
    any_names: bool,
    any_values: bool,
}

impl Exprs {
    fn read(req: &Map<String, Value>) -> R<Exprs> {
        let mut names = BTreeMap::new();
        let any_names = get(req, "ExpressionAttributeNames").is_some();
        if let Some(v) = get(req, "ExpressionAttributeNames") {
            let Value::Object(m) = v else {
                return Err(DdbError::serialization(
                    "Expected a map for member 'ExpressionAttributeNames'",
                ));
            };
            if m.is_empty() {
                return Err(DdbError::validation(
                    "ExpressionAttributeNames must not be empty",
                ));
            }
            for (k, v) in m {
                let Some(s) = v.as_str() else {
                    return Err(DdbError::serialization(
                        "Expected a string value in 'ExpressionAttributeNames'",
                    ));
                };
                names.insert(k.clone(), s.to_string());
            }
        }
        let mut values = BTreeMap::new();
        let any_values = get(req, "ExpressionAttributeValues").is_some();
        if let Some(v) = get(req, "ExpressionAttributeValues") {
            let Value::Object(m) = v else {
                return Err(DdbError::serialization(
                    "Expected a map for member 'ExpressionAttributeValues'",
                ));
            };
            if m.is_empty() {
                return Err(DdbError::validation(
                    "ExpressionAttributeValues must not be empty",
                ));
            }
            for (k, v) in m {
                let av = AttributeValue::from_json(v).map_err(|e| {
                    DdbError::validation(format!(
                        "ExpressionAttributeValues contains invalid value: {e} for key {k}"
                    ))
                })?;
                values.insert(k.clone(), av);
            }
        }
        Ok(Exprs {
            ph: Placeholders::new(names, values),
            any_names,
            any_values,
        })
    }

    fn condition(&mut self, req: &Map<String, Value>, member: &str) -> R<Option<Cond>> {
        match string(req, member)? {
            None => Ok(None),
            Some(text) => expr::parse_condition(&text, &mut self.ph)
                .map(Some)
                .map_err(|m| DdbError::validation(format!("Invalid {member}: {m}"))),
        }
    }

    fn projection(&mut self, req: &Map<String, Value>) -> R<Option<Vec<Path>>> {
        match string(req, "ProjectionExpression")? {
            None => Ok(None),
            Some(text) => expr::parse_projection(&text, &mut self.ph)
                .map(Some)
                .map_err(|m| DdbError::validation(format!("Invalid ProjectionExpression: {m}"))),
        }
    }

    /// Ends parsing: unused placeholders are errors.
    fn finish(&self, used_any: bool) -> R<()> {
        if !used_any {
            if self.any_names {
                return Err(DdbError::validation(
                    "ExpressionAttributeNames can only be specified when using expressions",
                ));
            }
            if self.any_values {
                return Err(DdbError::validation(
                    "ExpressionAttributeValues can only be specified when using expressions",
                ));
            }
        }
        self.ph.check_unused().map_err(DdbError::validation)
    }
}

fn return_values(req: &Map<String, Value>, allowed: &[&str]) -> R<String> {
    let rv = string(req, "ReturnValues")?.unwrap_or_else(|| "NONE".into());
    let all = ["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"];
    if !all.contains(&rv.as_str()) {
        return Err(DdbError::validation(format!(
            "1 validation error detected: Value '{rv}' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]"
        )));
    }
    if !allowed.contains(&rv.as_str()) {
        return Err(DdbError::validation(
            "ReturnValues can only be ALL_OLD or NONE",
        ));
    }
    Ok(rv)
}

impl Tables {
    /// Opens the service over `storage`, loading its table definitions.
    pub fn open(
        storage: Arc<dyn Storage>,
        region: impl Into<String>,
        account: impl Into<String>,
    ) -> Result<Tables, StorageError> {
        let defs = storage
            .tables()?
            .into_iter()
            .map(|d| (d.name.clone(), d))
            .collect();
        Ok(Tables {
            storage,
            defs: RwLock::new(defs),
            write: Mutex::new(()),
            region: region.into(),
            account: account.into(),
        })
    }

    /// In memory, for tests and `--in-memory`.
    pub fn in_memory() -> Tables {
        Tables::open(
            Arc::new(crate::storage::MemoryStorage::new()),
            "us-east-1",
            "123456789012",
        )
        .unwrap_or_else(|_| unreachable!("memory storage cannot fail"))
    }

    fn def(&self, name: &str) -> R<TableDef> {
        self.defs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
            .ok_or_else(DdbError::not_found)
    }

    /// Runs one operation (`PutItem`, …) on its JSON input.
    pub fn handle(&self, operation: &str, input: &Value) -> R<Value> {
        let empty = Map::new();
        let req = match input {
            Value::Object(m) => m,
            Value::Null => &empty,
            _ => {
                return Err(DdbError::serialization(
                    "Start of structure or map expected",
                ));
            }
        };
        for legacy in [
            "KeyConditions",
            "QueryFilter",
            "ScanFilter",
            "AttributesToGet",
            "Expected",
            "AttributeUpdates",
            "ConditionalOperator",
        ] {
            if get(req, legacy).is_some() {
                return Err(DdbError::validation(format!(
                    "Baton does not support the legacy parameter {legacy} yet; use the expression parameters instead"
                )));
            }
        }
        match operation {
            "CreateTable" => self.create_table(req),
            "DescribeTable" => self.describe_table(req),
            "ListTables" => self.list_tables(req),
            "DeleteTable" => self.delete_table(req),
            "UpdateTable" => self.update_table(req),
            "TagResource" | "UntagResource" | "ListTagsOfResource" => self.tags(operation, req),
            "UpdateTimeToLive" | "DescribeTimeToLive" => self.ttl(operation, req),
            "PutItem" => self.put_item(req),
            "GetItem" => self.get_item(req),
            "DeleteItem" => self.delete_item(req),
            "UpdateItem" => self.update_item(req),
            "Query" => self.query(req),
            "Scan" => self.scan(req),
            "BatchWriteItem" => self.batch_write(req),
            "BatchGetItem" => self.batch_get(req),
            "TransactWriteItems" => self.transact_write(req),
            "TransactGetItems" => self.transact_get(req),
            "ExecuteStatement"
            | "BatchExecuteStatement"
            | "ExecuteTransaction"
            | "DescribeLimits"
            | "DescribeEndpoints" => Err(DdbError::new(
                "UnknownOperationException",
                format!("Baton does not support the DynamoDB operation {operation} yet"),
            )),
            _ => Err(DdbError::new("UnknownOperationException", "")),
        }
    }

    // ---- tables ----

    fn create_table(&self, req: &Map<String, Value>) -> R<Value> {
        let name = table_name(req)?;
        let attrs: Vec<(String, String)> = required_map(req, "AttributeDefinitions")?
            .as_array()
            .ok_or_else(|| DdbError::serialization("Expected a list for member 'AttributeDefinitions'"))?
            .iter()
            .map(|a| {
                let n = a["AttributeName"].as_str().unwrap_or_default().to_string();
                let t = a["AttributeType"].as_str().unwrap_or_default().to_string();
                if !matches!(t.as_str(), "S" | "N" | "B") {
                    return Err(DdbError::validation(format!(
                        "1 validation error detected: Value '{t}' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]"
                    )));
                }
                Ok((n, t))
            })
            .collect::<R<_>>()?;
        let key = parse_key_schema(required_map(req, "KeySchema")?)?;
        let mut indexes = Vec::new();
        for (member, global) in [
            ("GlobalSecondaryIndexes", true),
            ("LocalSecondaryIndexes", false),
        ] {
            if let Some(list) = get(req, member) {
                for ix in list.as_array().into_iter().flatten() {
                    let ikey = parse_key_schema(&ix["KeySchema"])?;
                    if !global && ikey.hash != key.hash {
                        return Err(DdbError::validation("One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: ".to_string() + ix["IndexName"].as_str().unwrap_or_default()));
                    }
                    let name = ix["IndexName"].as_str().unwrap_or_default().to_string();
                    check_name(&name, "indexName")?;
                    if indexes.iter().any(|i: &Index| i.name == name) {
                        return Err(DdbError::validation(format!(
                            "One or more parameter values were invalid: Duplicate index name: {name}"
                        )));
                    }
                    let projection = ix["Projection"]["ProjectionType"]
                        .as_str()
                        .unwrap_or("ALL")
                        .to_string();
                    let include = ix["Projection"]["NonKeyAttributes"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|s| s.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                    indexes.push(Index {
                        name,
                        key: ikey,
                        projection,
                        include,
                        global,
                    });
                }
            }
        }
        // Every key attribute must be defined, and every definition used.
        let mut used: Vec<&String> = key.names().collect();
        for ix in &indexes {
            used.extend(ix.key.names());
        }
        let defined: Vec<&String> = attrs.iter().map(|(n, _)| n).collect();
        let missing: Vec<&&String> = used.iter().filter(|n| !defined.contains(n)).collect();
        if !missing.is_empty() {
            return Err(DdbError::validation(format!(
                "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
                missing
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                defined
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if defined.iter().any(|d| !used.contains(d)) {
            return Err(DdbError::validation(
                "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
            ));
        }
        let billing = string(req, "BillingMode")?.unwrap_or_else(|| "PROVISIONED".into());
        let (rcu, wcu) = match get(req, "ProvisionedThroughput") {
            Some(p) => (
                p["ReadCapacityUnits"].as_i64().unwrap_or(0),
                p["WriteCapacityUnits"].as_i64().unwrap_or(0),
            ),
            None if billing == "PROVISIONED" => {
                return Err(DdbError::validation(
                    "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
                ));
            }
            None => (0, 0),
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as f64 / 1000.0)
            .unwrap_or(0.0);
        let def = TableDef {
            arn: format!(
                "arn:aws:dynamodb:{}:{}:table/{name}",
                self.region, self.account
            ),
            id: format!("{:032x}", (now * 1000.0) as u128 ^ name.len() as u128),
            name,
            key,
            attributes: attrs,
            indexes,
            created: now,
            billing,
            read_capacity: rcu,
            write_capacity: wcu,
            tags: Vec::new(),
            ttl: None,
        };
        let _w = self.write.lock().unwrap_or_else(|e| e.into_inner());
        if !self.storage.create_table(&def)? {
            return Err(DdbError::new(
                "ResourceInUseException",
                format!("Table already exists: {}", def.name),
            ));
        }
        self.defs
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(def.name.clone(), def.clone());
        Ok(json!({"TableDescription": self.describe(&def, "ACTIVE")?}))
    }

    fn describe(&self, def: &TableDef, status: &str) -> R<Value> {
        let count = self.storage.count(&def.name)?;
        let throughput = json!({
            "NumberOfDecreasesToday": 0,
            "ReadCapacityUnits": def.read_capacity,
            "WriteCapacityUnits": def.write_capacity,
        });
        let mut d = json!({
            "AttributeDefinitions": def.attributes.iter().map(|(n, t)| json!({"AttributeName": n, "AttributeType": t})).collect::<Vec<_>>(),
            "TableName": def.name,
            "KeySchema": def.key.to_json(),
            "TableStatus": status,
            "CreationDateTime": def.created,
            "ProvisionedThroughput": throughput,
            "TableSizeBytes": 0,
            "ItemCount": count,
            "TableArn": def.arn,
            "TableId": def.id,
            "DeletionProtectionEnabled": false,
        });
        if def.billing == "PAY_PER_REQUEST" {
            d["BillingModeSummary"] = json!({"BillingMode": "PAY_PER_REQUEST", "LastUpdateToPayPerRequestDateTime": def.created});
        }
        for global in [true, false] {
            let list: Vec<Value> = def
                .indexes
                .iter()
                .filter(|i| i.global == global)
                .map(|i| {
                    let mut p = json!({"ProjectionType": i.projection});
                    if !i.include.is_empty() {
                        p["NonKeyAttributes"] = json!(i.include);
                    }
                    let mut v = json!({
                        "IndexName": i.name,
                        "KeySchema": i.key.to_json(),
                        "Projection": p,
                        "IndexSizeBytes": 0,
                        "ItemCount": count,
                        "IndexArn": format!("{}/index/{}", def.arn, i.name),
                    });
                    if global {
                        v["IndexStatus"] = json!("ACTIVE");
                        v["ProvisionedThroughput"] = throughput.clone();
                    }
                    v
                })
                .collect();
            if !list.is_empty() {
                d[if global {
                    "GlobalSecondaryIndexes"
                } else {
                    "LocalSecondaryIndexes"
                }] = Value::Array(list);
            }
        }
        Ok(d)
    }

    fn describe_table(&self, req: &Map<String, Value>) -> R<Value> {
        let name = table_name(req)?;
        let def = self.def(&name).map_err(|_| {
            DdbError::new(
                "ResourceNotFoundException",
                format!("Requested resource not found: Table: {name} not found"),
            )
        })?;
        Ok(json!({"Table": self.describe(&def, "ACTIVE")?}))
    }

    fn delete_table(&self, req: &Map<String, Value>) -> R<Value> {
        let name = table_name(req)?;
        let _w = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let def = self.def(&name).map_err(|_| {
            DdbError::new(
                "ResourceNotFoundException",
                format!("Requested resource not found: Table: {name} not found"),
            )
        })?;
        let desc = self.describe(&def, "DELETING")?;
        self.storage.delete_table(&name)?;
        self.defs
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&name);
        Ok(json!({"TableDescription": desc}))
    }

    fn update_table(&self, req: &Map<String, Value>) -> R<Value> {
        let name = table_name(req)?;
        let _w = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let mut def = self.def(&name).map_err(|_| {
            DdbError::new(
                "ResourceNotFoundException",
                format!("Requested resource not found: Table: {name} not found"),
            )
        })?;
        for a in get(req, "AttributeDefinitions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let n = a["AttributeName"].as_str().unwrap_or_default().to_string();
            let t = a["AttributeType"].as_str().unwrap_or_default().to_string();
            if !matches!(t.as_str(), "S" | "N" | "B") {
                return Err(DdbError::validation(format!(
                    "1 validation error detected: Value '{t}' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]"
                )));
            }
            match def.attr_type(&n) {
                Some(old) if old != t => {
                    return Err(DdbError::validation(format!(
                        "One or more parameter values were invalid: Attribute {n} is already defined as {old}"
                    )));
                }
                Some(_) => {}
                None => def.attributes.push((n, t)),
            }
        }
        if let Some(b) = string(req, "BillingMode")? {
            def.billing = b;
        }
        if let Some(p) = get(req, "ProvisionedThroughput") {
            def.read_capacity = p["ReadCapacityUnits"].as_i64().unwrap_or(def.read_capacity);
            def.write_capacity = p["WriteCapacityUnits"]
                .as_i64()
                .unwrap_or(def.write_capacity);
        }
        let mut created = false;
        for u in get(req, "GlobalSecondaryIndexUpdates")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(c) = u.get("Create").filter(|v| !v.is_null()) {
                let ix_name = c["IndexName"].as_str().unwrap_or_default().to_string();
                check_name(&ix_name, "indexName")?;
                if def.index(&ix_name).is_some() {
                    return Err(DdbError::validation(format!(
                        "One or more parameter values were invalid: Index with name: {ix_name} already exists"
                    )));
                }
                let key = parse_key_schema(&c["KeySchema"])?;
                for k in key.names() {
                    if def.attr_type(k).is_none() {
                        return Err(DdbError::validation(format!(
                            "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [{k}], AttributeDefinitions: [{}]",
                            def.attributes
                                .iter()
                                .map(|(n, _)| n.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                    }
                }
                def.indexes.push(Index {
                    name: ix_name,
                    key,
                    projection: c["Projection"]["ProjectionType"]
                        .as_str()
                        .unwrap_or("ALL")
                        .to_string(),
                    include: c["Projection"]["NonKeyAttributes"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|s| s.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                    global: true,
                });
                created = true;
            } else if let Some(d) = u.get("Delete").filter(|v| !v.is_null()) {
                let ix_name = d["IndexName"].as_str().unwrap_or_default();
                let before = def.indexes.len();
                def.indexes.retain(|i| !(i.global && i.name == ix_name));
                if def.indexes.len() == before {
                    return Err(DdbError::new(
                        "ResourceNotFoundException",
                        format!("Requested resource not found: Index: {ix_name} not found"),
                    ));
                }
            }
        }
        // Items must fit the new index key types before anything changes.
        let items = self.storage.scan(&def.name)?;
        if created {
            for (_, item) in &items {
                self.check_item(&def, item)?;
            }
        }
        self.storage.update_table(&def)?;
        if created {
            for (pos, item) in &items {
                self.storage.put(&def, pos, item)?;
            }
        }
        self.defs
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(def.name.clone(), def.clone());
        Ok(json!({"TableDescription": self.describe(&def, "ACTIVE")?}))
    }

    /// Saves a changed definition (tags, TTL) under the write lock.
    fn save_def(&self, def: &TableDef) -> R<()> {
        self.storage.update_table(def)?;
        self.defs
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(def.name.clone(), def.clone());
        Ok(())
    }

    fn tags(&self, operation: &str, req: &Map<String, Value>) -> R<Value> {
        let arn = string(req, "ResourceArn")?.ok_or_else(|| {
            DdbError::validation("1 validation error detected: Value null at 'resourceArn' failed to satisfy constraint: Member must not be null")
        })?;
        let _w = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let name = arn.rsplit_once(":table/").map(|(_, n)| n).unwrap_or("");
        let mut def = self
            .def(name)
            .ok()
            .filter(|d| d.arn == arn)
            .ok_or_else(|| {
                DdbError::new(
                    "ResourceNotFoundException",
                    format!("Requested resource not found: ResourcArn: {arn} not found"),
                )
            })?;
        match operation {
            "TagResource" => {
                for t in get(req, "Tags")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let k = t["Key"].as_str().unwrap_or_default().to_string();
                    let v = t["Value"].as_str().unwrap_or_default().to_string();
                    match def.tags.iter_mut().find(|(x, _)| *x == k) {
                        Some(slot) => slot.1 = v,
                        None => def.tags.push((k, v)),
                    }
                }
                self.save_def(&def)?;
                Ok(json!({}))
            }
            "UntagResource" => {
                let keys: Vec<&str> = get(req, "TagKeys")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                def.tags.retain(|(k, _)| !keys.contains(&k.as_str()));
                self.save_def(&def)?;
                Ok(json!({}))
            }
            _ => Ok(
                json!({"Tags": def.tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>()}),
            ),
        }
    }

    fn ttl(&self, operation: &str, req: &Map<String, Value>) -> R<Value> {
        let name = table_name(req)?;
        let _w = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let mut def = self.def(&name)?;
        if operation == "DescribeTimeToLive" {
            return Ok(json!({"TimeToLiveDescription": match &def.ttl {
                Some(a) => json!({"TimeToLiveStatus": "ENABLED", "AttributeName": a}),
                None => json!({"TimeToLiveStatus": "DISABLED"}),
            }}));
        }
        let spec = required_map(req, "TimeToLiveSpecification")?.clone();
        let enabled = spec["Enabled"].as_bool().unwrap_or(false);
        let attr = spec["AttributeName"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        match (&def.ttl, enabled) {
            (Some(_), true) => {
                return Err(DdbError::validation("TimeToLive is already enabled"));
            }
            (None, false) => {
                return Err(DdbError::validation("TimeToLive is already disabled"));
            }
            _ => {}
        }
        def.ttl = enabled.then_some(attr);
        self.save_def(&def)?;
        Ok(json!({"TimeToLiveSpecification": spec}))
    }

    fn list_tables(&self, req: &Map<String, Value>) -> R<Value> {
        let start = string(req, "ExclusiveStartTableName")?;
        let limit = match get(req, "Limit") {
            None => 100,
            Some(v) => match v.as_i64() {
                Some(n) if (1..=100).contains(&n) => n as usize,
                Some(n) => {
                    return Err(DdbError::validation(format!(
                        "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have value {}",
                        if n < 1 {
                            "greater than or equal to 1"
                        } else {
                            "less than or equal to 100"
                        }
                    )));
                }
                None => {
                    return Err(DdbError::serialization(
                        "Expected an integer for member 'Limit'",
                    ));
                }
            },
        };
        let mut names: Vec<String> = self
            .defs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect();
        names.sort();
        let names: Vec<String> = names
            .into_iter()
            .filter(|n| start.as_ref().is_none_or(|s| n > s))
            .collect();
        let mut out = json!({"TableNames": names.iter().take(limit).collect::<Vec<_>>()});
        if names.len() > limit {
            out["LastEvaluatedTableName"] = json!(names[limit - 1]);
        }
        Ok(out)
    }

    // ---- items ----

    /// Validates a full item for a write and returns its position.
    fn check_item(&self, def: &TableDef, item: &Item) -> R<Pos> {
        for k in def.key.names() {
            let t = def.attr_type(k).unwrap_or("S");
            match item.get(k) {
                None => {
                    return Err(DdbError::validation(format!(
                        "One or more parameter values were invalid: Missing the key {k} in the item"
                    )));
                }
                Some(v) if v.type_name() != t => {
                    return Err(DdbError::validation(format!(
                        "One or more parameter values were invalid: Type mismatch for key {k} expected: {t} actual: {}",
                        v.type_name()
                    )));
                }
                Some(AttributeValue::S(s)) if s.is_empty() => {
                    return Err(DdbError::validation(format!(
                        "One or more parameter values were invalid: The AttributeValue for a key attribute cannot contain an empty string value. Key: {k}"
                    )));
                }
                Some(AttributeValue::B(b)) if b.is_empty() => {
                    return Err(DdbError::validation(format!(
                        "One or more parameter values were invalid: The AttributeValue for a key attribute cannot contain an empty binary value. Key: {k}"
                    )));
                }
                _ => {}
            }
        }
        for ix in &def.indexes {
            for k in ix.key.names() {
                let t = def.attr_type(k).unwrap_or("S");
                if let Some(v) = item.get(k) {
                    if v.type_name() != t {
                        return Err(DdbError::validation(format!(
                            "One or more parameter values were invalid: Type mismatch for Index Key {k} Expected: {t} Actual: {} IndexName: {}",
                            v.type_name(),
                            ix.name
                        )));
                    }
                    if matches!(v, AttributeValue::S(s) if s.is_empty()) {
                        return Err(DdbError::validation(format!(
                            "One or more parameter values were invalid: Index key attribute {k} cannot be an empty string value. IndexName: {}",
                            ix.name
                        )));
                    }
                }
            }
        }
        if item_size(item) > MAX_ITEM {
            return Err(DdbError::validation(
                "Item size has exceeded the maximum allowed size",
            ));
        }
        def.pos(item).ok_or_else(|| {
            DdbError::validation("The provided key element does not match the schema")
        })
    }

    /// Validates a `Key` member against the table's key schema.
    fn check_key(&self, def: &TableDef, key: &Item) -> R<Pos> {
        let mismatch =
            || DdbError::validation("The provided key element does not match the schema");
        if key.len() != def.key.names().count() {
            return Err(mismatch());
        }
        for k in def.key.names() {
            match key.get(k) {
                Some(v) if Some(v.type_name()) == def.attr_type(k) => {}
                _ => return Err(mismatch()),
            }
        }
        def.pos(key).ok_or_else(mismatch)
    }

    fn put_item(&self, req: &Map<String, Value>) -> R<Value> {
        let def = self.def(&table_name(req)?)?;
        let item = parse_item(required_map(req, "Item")?)?;
        let mut ex = Exprs::read(req)?;
        let cond = ex.condition(req, "ConditionExpression")?;
        ex.finish(cond.is_some())?;
        let rv = return_values(req, &["NONE", "ALL_OLD"])?;
        let on_fail = string(req, "ReturnValuesOnConditionCheckFailure")?;
        let pos = self.check_item(&def, &item)?;
        let _w = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let old = self.storage.get(&def.name, &pos)?;
        if let Some(c) = &cond
            && !expr::eval(c, old.as_ref().unwrap_or(&Item::new()))
        {
            return Err(DdbError::condition_failed(old.as_ref(), on_fail.as_deref()));
        }
        self.storage.put(&def, &pos, &item)?;
        Ok(match (rv.as_str(), old) {
            ("ALL_OLD", Some(old)) => json!({"Attributes": item_to_json(&old)}),
            _ => json!({}),
        })
    }

    fn get_item(&self, req: &Map<String, Value>) -> R<Value> {
        let def = self.def(&table_name(req)?)?;
        let key = parse_item(required_map(req, "Key")?)?;
        let mut ex = Exprs::read(req)?;
        let proj = ex.projection(req)?;
        ex.finish(proj.is_some())?;
        let pos = self.check_key(&def, &key)?;
        Ok(match self.storage.get(&def.name, &pos)? {
            Some(item) => {
                let item = match &proj {
                    Some(p) => expr::project(&item, p),
                    None => item,
                };
                json!({"Item": item_to_json(&item)})
            }
            None => json!({}),
        })
    }

    fn delete_item(&self, req: &Map<String, Value>) -> R<Value> {
        let def = self.def(&table_name(req)?)?;
        let key = parse_item(required_map(req, "Key")?)?;
        let mut ex = Exprs::read(req)?;
        let cond = ex.condition(req, "ConditionExpression")?;
        ex.finish(cond.is_some())?;
        let rv = return_values(req, &["NONE", "ALL_OLD"])?;
        let on_fail = string(req, "ReturnValuesOnConditionCheckFailure")?;
        let pos = self.check_key(&def, &key)?;
        let _w = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let old = self.storage.get(&def.name, &pos)?;
        if let Some(c) = &cond
            && !expr::eval(c, old.as_ref().unwrap_or(&Item::new()))
        {
            return Err(DdbError::condition_failed(old.as_ref(), on_fail.as_deref()));
        }
        if old.is_some() {
            self.storage.delete(&def, &pos)?;
        }
        Ok(match (rv.as_str(), old) {
            ("ALL_OLD", Some(old)) => json!({"Attributes": item_to_json(&old)}),
            _ => json!({}),
        })
    }

    fn update_item(&self, req: &Map<String, Value>) -> R<Value> {
        let def = self.def(&table_name(req)?)?;
        let key = parse_item(required_map(req, "Key")?)?;
        let mut ex = Exprs::read(req)?;
        let update = match string(req, "UpdateExpression")? {
            Some(text) => Some(
                expr::parse_update(&text, &mut ex.ph)
                    .map_err(|m| DdbError::validation(format!("Invalid UpdateExpression: {m}")))?,
            ),
            None => None,
        };
        let cond = ex.condition(req, "ConditionExpression")?;
        ex.finish(update.is_some() || cond.is_some())?;
        let rv = return_values(
            req,
            &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"],
        )?;
        let on_fail = string(req, "ReturnValuesOnConditionCheckFailure")?;
        let pos = self.check_key(&def, &key)?;
        if let Some(u) = &update {
            let touched = u
                .set
                .iter()
                .map(|(p, _)| p)
                .chain(u.remove.iter())
                .chain(u.add.iter().map(|(p, _)| p))
                .chain(u.delete.iter().map(|(p, _)| p));
            for p in touched {
                if def.key.names().any(|k| k == p.root()) {
                    return Err(DdbError::validation(format!(
                        "One or more parameter values were invalid: Cannot update attribute {}. This attribute is part of the key",
                        p.root()
                    )));
                }
            }
        }
        let _w = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let old = self.storage.get(&def.name, &pos)?;
        if let Some(c) = &cond
            && !expr::eval(c, old.as_ref().unwrap_or(&Item::new()))
        {
            return Err(DdbError::condition_failed(old.as_ref(), on_fail.as_deref()));
        }
        let mut new = old.clone().unwrap_or_else(|| key.clone());
        if let Some(u) = &update {
            expr::apply_update(u, &mut new)
                .map_err(|m| DdbError::validation(format!("Invalid UpdateExpression: {m}")))?;
        }
        self.check_item(&def, &new)?;
        self.storage.put(&def, &pos, &new)?;
        // UPDATED_* return just the updated document paths.
        let paths: Vec<Path> = update
            .iter()
            .flat_map(|u| {
                u.set
                    .iter()
                    .map(|(p, _)| p.clone())
                    .chain(u.remove.iter().cloned())
                    .chain(u.add.iter().map(|(p, _)| p.clone()))
                    .chain(u.delete.iter().map(|(p, _)| p.clone()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let pick = |item: &Item| expr::project(item, &paths);
        let attrs = match rv.as_str() {
            "ALL_OLD" => old.clone(),
            "UPDATED_OLD" => old.as_ref().map(pick),
            "ALL_NEW" => Some(new.clone()),
            "UPDATED_NEW" => Some(pick(&new)),
            _ => None,
        };
        Ok(match attrs {
            Some(a) if !a.is_empty() => json!({"Attributes": item_to_json(&a)}),
            _ => json!({}),
        })
    }

    // ---- reads ----

    fn limit(req: &Map<String, Value>) -> R<Option<usize>> {
        match get(req, "Limit") {
            None => Ok(None),
            Some(v) => match v.as_i64() {
                Some(n) if n >= 1 => Ok(Some(n as usize)),
                Some(n) => Err(DdbError::validation(format!(
                    "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
                ))),
                None => Err(DdbError::serialization(
                    "Expected an integer for member 'Limit'",
                )),
            },
        }
    }

    fn select(req: &Map<String, Value>, has_projection: bool) -> R<bool> {
        match string(req, "Select")?.as_deref() {
            None | Some("ALL_ATTRIBUTES") | Some("ALL_PROJECTED_ATTRIBUTES") => Ok(false),
            Some("SPECIFIC_ATTRIBUTES") => Ok(false),
            Some("COUNT") if has_projection => Err(DdbError::validation(
                "Cannot specify the ProjectionExpression when choosing to get only the Count",
            )),
            Some("COUNT") => Ok(true),
            Some(s) => Err(DdbError::validation(format!(
                "1 validation error detected: Value '{s}' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]"
            ))),
        }
    }

    /// The key schema a read uses and the index, if any.
    fn read_target<'a>(
        &self,
        def: &'a TableDef,
        req: &Map<String, Value>,
    ) -> R<(KeySchema, Option<&'a Index>)> {
        match string(req, "IndexName")? {
            None => Ok((def.key.clone(), None)),
            Some(ix) => {
                let index = def.index(&ix).ok_or_else(|| {
                    DdbError::validation(format!(
                        "The table does not have the specified index: {ix}"
                    ))
                })?;
                if index.global && get(req, "ConsistentRead") == Some(&Value::Bool(true)) {
                    return Err(DdbError::validation(
                        "Consistent reads are not supported on global secondary indexes",
                    ));
                }
                Ok((index.key.clone(), Some(index)))
            }
        }
    }

    /// The position tuple of an item for paging: (index hash, index sort,
    /// primary position).
    fn page_pos(def: &TableDef, key: &KeySchema, item: &Item) -> Option<PagePos> {
        let (h, r) = key_pos(key, item)?;
        Some((h, r, def.pos(item)?))
    }

    fn start_key(
        &self,
        def: &TableDef,
        key: &KeySchema,
        req: &Map<String, Value>,
    ) -> R<Option<PagePos>> {
        let Some(v) = get(req, "ExclusiveStartKey") else {
            return Ok(None);
        };
        let start = parse_item(v)?;
        let bad = || {
            DdbError::validation(
                "The provided starting key is invalid: The provided key element does not match the schema",
            )
        };
        for k in def.key.names().chain(key.names()) {
            match start.get(k) {
                Some(v) if Some(v.type_name()) == def.attr_type(k) => {}
                _ => return Err(bad()),
            }
        }
        Self::page_pos(def, key, &start).map(Some).ok_or_else(bad)
    }

    fn last_key(def: &TableDef, key: &KeySchema, item: &Item) -> Value {
        let mut k = key_of(&def.key, item);
        k.extend(key_of(key, item));
        item_to_json(&k)
    }

    fn query(&self, req: &Map<String, Value>) -> R<Value> {
        let def = self.def(&table_name(req)?)?;
        let (key, index) = self.read_target(&def, req)?;
        let mut ex = Exprs::read(req)?;
        let kc = ex.condition(req, "KeyConditionExpression")?.ok_or_else(|| {
            DdbError::validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
        })?;
        let filter = ex.condition(req, "FilterExpression")?;
        let proj = ex.projection(req)?;
        ex.finish(true)?;
        let count_only = Self::select(req, proj.is_some())?;
        let limit = Self::limit(req)?;
        let forward = get(req, "ScanIndexForward")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let (hash, range_cond) = key_condition(&def, &key, &kc)?;
        let hash_bytes = hash.key_bytes().unwrap_or_default();
        let start = self.start_key(&def, &key, req)?;
        let mut found =
            self.storage
                .partition(&def.name, index.map(|i| i.name.as_str()), &hash_bytes)?;
        if !forward {
            found.reverse();
        }
        let mut page = Page::new(filter.as_ref(), proj.as_deref(), count_only, limit);
        for f in found {
            if let Some((_, sr, sp)) = &start {
                let here = (&f.sort, &f.primary);
                let past = if forward {
                    here > (sr, sp)
                } else {
                    here < (sr, sp)
                };
                if !past {
                    continue;
                }
            }
            if let Some(rc) = &range_cond
                && !expr::eval(rc, &f.item)
            {
                continue;
            }
            let size = item_size(&f.item);
            let item = match index {
                Some(ix) => def.project_for(ix, &f.item),
                None => f.item,
            };
            if page.offer(item, size, |item| Self::last_key(&def, &key, item)) {
                break;
            }
        }
        Ok(page.into_json())
    }

    fn scan(&self, req: &Map<String, Value>) -> R<Value> {
        let def = self.def(&table_name(req)?)?;
        let (key, index) = self.read_target(&def, req)?;
        let mut ex = Exprs::read(req)?;
        let filter = ex.condition(req, "FilterExpression")?;
        let proj = ex.projection(req)?;
        ex.finish(filter.is_some() || proj.is_some())?;
        let count_only = Self::select(req, proj.is_some())?;
        let limit = Self::limit(req)?;
        let segment = get(req, "Segment").and_then(Value::as_u64);
        let total = get(req, "TotalSegments").and_then(Value::as_u64);
        let segments = match (segment, total) {
            (None, None) => None,
            (Some(s), Some(t)) if (1..=1_000_000).contains(&t) && s < t => Some((s, t)),
            (Some(s), Some(t)) if t >= 1 && s >= t => {
                return Err(DdbError::validation(format!(
                    "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {t}"
                )));
            }
            (Some(_), None) => {
                return Err(DdbError::validation(
                    "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
                ));
            }
            (None, Some(_)) => {
                return Err(DdbError::validation(
                    "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
                ));
            }
            _ => return Err(DdbError::validation("Invalid Segment or TotalSegments")),
        };
        let start = match get(req, "ExclusiveStartKey") {
            None => None,
            Some(v) => {
                let start = parse_item(v)?;
                Some(self.check_key(&def, &key_of(&def.key, &start)).map_err(|_| {
                    DdbError::validation("The provided starting key is invalid: The provided key element does not match the schema")
                })?)
            }
        };
        let mut page = Page::new(filter.as_ref(), proj.as_deref(), count_only, limit);
        for (pos, item) in self.storage.scan(&def.name)? {
            if start.as_ref().is_some_and(|s| &pos <= s) {
                continue;
            }
            if let Some((s, t)) = segments
                && fnv(&pos.0) % t != s
            {
                continue;
            }
            let item = match index {
                Some(ix) => {
                    if key_pos(&ix.key, &item).is_none() {
                        continue;
                    }
                    def.project_for(ix, &item)
                }
                None => item,
            };
            let size = item_size(&item);
            if page.offer(item, size, |item| Self::last_key(&def, &key, item)) {
                break;
            }
        }
        Ok(page.into_json())
    }

    // ---- batches ----

    fn batch_write(&self, req: &Map<String, Value>) -> R<Value> {
        let Some(Value::Object(tables)) = get(req, "RequestItems") else {
            return Err(DdbError::validation(
                "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null",
            ));
        };
        let mut ops: Vec<(TableDef, Pos, Option<Item>)> = Vec::new();
        let mut total = 0;
        for (name, list) in tables {
            let def = self.def(name)?;
            let list = list
                .as_array()
                .ok_or_else(|| DdbError::serialization("Expected a list of WriteRequest"))?;
            if list.is_empty() {
                return Err(DdbError::validation(format!(
                    "1 validation error detected: Value '{{{name}=[]}}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"
                )));
            }
            for w in list {
                total += 1;
                let put = w.get("PutRequest").filter(|v| !v.is_null());
                let del = w.get("DeleteRequest").filter(|v| !v.is_null());
                match (put, del) {
                    (Some(p), None) => {
                        let item = parse_item(p.get("Item").unwrap_or(&Value::Null))?;
                        let pos = self.check_item(&def, &item)?;
                        ops.push((def.clone(), pos, Some(item)));
                    }
                    (None, Some(d)) => {
                        let key = parse_item(d.get("Key").unwrap_or(&Value::Null))?;
                        let pos = self.check_key(&def, &key)?;
                        ops.push((def.clone(), pos, None));
                    }
                    _ => {
                        return Err(DdbError::validation(
                            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
                        ));
                    }
                }
            }
        }
        if total > 25 {
            return Err(DdbError::validation(
                "Too many items requested for the BatchWriteItem call",
            ));
        }
        for (i, a) in ops.iter().enumerate() {
            if ops[i + 1..]
                .iter()
                .any(|b| a.0.name == b.0.name && a.1 == b.1)
            {
                return Err(DdbError::validation(
                    "Provided list of item keys contains duplicates",
                ));
            }
        }
        let _w = self.write.lock().unwrap_or_else(|e| e.into_inner());
        for (def, pos, item) in ops {
            match item {
                Some(item) => self.storage.put(&def, &pos, &item)?,
                None => self.storage.delete(&def, &pos)?,
            }
        }
        Ok(json!({"UnprocessedItems": {}}))
    }

    // ---- transactions ----

    fn transact_items(req: &Map<String, Value>) -> R<Vec<(String, Map<String, Value>)>> {
        let list = match get(req, "TransactItems") {
            Some(Value::Array(a)) => a,
            Some(_) => {
                return Err(DdbError::serialization(
                    "Expected a list for member 'TransactItems'",
                ));
            }
            None => {
                return Err(DdbError::validation(
                    "1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must not be null",
                ));
            }
        };
        if list.is_empty() || list.len() > 100 {
            return Err(DdbError::validation(format!(
                "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length {}",
                if list.is_empty() {
                    "greater than or equal to 1"
                } else {
                    "less than or equal to 100"
                }
            )));
        }
        let mut out = Vec::new();
        for entry in list {
            let ops: Vec<(&String, &Value)> = entry
                .as_object()
                .map(|m| m.iter().filter(|(_, v)| !v.is_null()).collect())
                .unwrap_or_default();
            match ops.as_slice() {
                [(kind, Value::Object(m))] => out.push(((*kind).clone(), m.clone())),
                _ => {
                    return Err(DdbError::validation(
                        "TransactItems can only contain one of Check, Put, Update or Delete",
                    ));
                }
            }
        }
        Ok(out)
    }

    fn transact_write(&self, req: &Map<String, Value>) -> R<Value> {
        enum Op {
            Check,
            Put(Item),
            Delete,
            Update(expr::Update, Item),
        }
        /// Table, item, operation, condition, ReturnValuesOnConditionCheckFailure.
        type TxStep = (TableDef, Pos, Op, Option<Cond>, Option<String>);
        let mut plan: Vec<TxStep> = Vec::new();
        for (kind, m) in Self::transact_items(req)? {
            let def = self.def(&table_name(&m)?)?;
            let mut ex = Exprs::read(&m)?;
            let on_fail = string(&m, "ReturnValuesOnConditionCheckFailure")?;
            let (pos, op, cond) = match kind.as_str() {
                "Put" => {
                    let item = parse_item(required_map(&m, "Item")?)?;
                    let cond = ex.condition(&m, "ConditionExpression")?;
                    ex.finish(cond.is_some())?;
                    (self.check_item(&def, &item)?, Op::Put(item), cond)
                }
                "Delete" | "ConditionCheck" => {
                    let key = parse_item(required_map(&m, "Key")?)?;
                    let cond = ex.condition(&m, "ConditionExpression")?;
                    if kind == "ConditionCheck" && cond.is_none() {
                        return Err(DdbError::validation(
                            "1 validation error detected: Value null at 'conditionExpression' failed to satisfy constraint: Member must not be null",
                        ));
                    }
                    ex.finish(cond.is_some())?;
                    let op = if kind == "Delete" {
                        Op::Delete
                    } else {
                        Op::Check
                    };
                    (self.check_key(&def, &key)?, op, cond)
                }
                "Update" => {
                    let key = parse_item(required_map(&m, "Key")?)?;
                    let text = string(&m, "UpdateExpression")?.ok_or_else(|| {
                        DdbError::validation("1 validation error detected: Value null at 'updateExpression' failed to satisfy constraint: Member must not be null")
                    })?;
                    let u = expr::parse_update(&text, &mut ex.ph).map_err(|m| {
                        DdbError::validation(format!("Invalid UpdateExpression: {m}"))
                    })?;
                    let cond = ex.condition(&m, "ConditionExpression")?;
                    ex.finish(true)?;
                    (self.check_key(&def, &key)?, Op::Update(u, key), cond)
                }
                other => {
                    return Err(DdbError::validation(format!(
                        "Unknown transaction operation: {other}"
                    )));
                }
            };
            if plan.iter().any(|p| p.0.name == def.name && p.1 == pos) {
                return Err(DdbError::validation(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
            plan.push((def, pos, op, cond, on_fail));
        }
        let _w = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let mut reasons = Vec::new();
        let mut failed = false;
        let mut olds = Vec::new();
        for (def, pos, _, cond, on_fail) in &plan {
            let old = self.storage.get(&def.name, pos)?;
            let ok = cond
                .as_ref()
                .is_none_or(|c| expr::eval(c, old.as_ref().unwrap_or(&Item::new())));
            if ok {
                reasons.push(json!({"Code": "None"}));
            } else {
                failed = true;
                let mut r = json!({"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"});
                if let (Some("ALL_OLD"), Some(old)) = (on_fail.as_deref(), &old) {
                    r["Item"] = item_to_json(old);
                }
                reasons.push(r);
            }
            olds.push(old);
        }
        if failed {
            let codes: Vec<&str> = reasons
                .iter()
                .map(|r| r["Code"].as_str().unwrap_or("None"))
                .collect();
            let mut e = DdbError::new("TransactionCanceledException", "");
            e.extra.push((
                "Message",
                json!(format!(
                    "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                    codes.join(", ")
                )),
            ));
            e.extra.push(("CancellationReasons", Value::Array(reasons)));
            return Err(e);
        }
        // Every new item is computed before anything is written.
        let mut writes: Vec<(&TableDef, &Pos, Option<Item>)> = Vec::new();
        for ((def, pos, op, _, _), old) in plan.iter().zip(olds) {
            match op {
                Op::Check => {}
                Op::Put(item) => writes.push((def, pos, Some(item.clone()))),
                Op::Delete => writes.push((def, pos, None)),
                Op::Update(u, key) => {
                    let mut new = old.unwrap_or_else(|| key.clone());
                    expr::apply_update(u, &mut new).map_err(|m| {
                        DdbError::validation(format!("Invalid UpdateExpression: {m}"))
                    })?;
                    self.check_item(def, &new)?;
                    writes.push((def, pos, Some(new)));
                }
            }
        }
        // All or nothing, also across a crash: one storage transaction.
        let writes: Vec<crate::storage::Write<'_>> = writes
            .iter()
            .map(|(def, pos, item)| (*def, *pos, item.as_ref()))
            .collect();
        self.storage.apply(&writes)?;
        Ok(json!({}))
    }

    fn transact_get(&self, req: &Map<String, Value>) -> R<Value> {
        let mut plan = Vec::new();
        for (kind, m) in Self::transact_items(req)? {
            if kind != "Get" {
                return Err(DdbError::validation(
                    "TransactItems can only contain Get operations in TransactGetItems",
                ));
            }
            let def = self.def(&table_name(&m)?)?;
            let key = parse_item(required_map(&m, "Key")?)?;
            let mut ex = Exprs::read(&m)?;
            let proj = ex.projection(&m)?;
            ex.finish(proj.is_some())?;
            plan.push((self.check_key(&def, &key)?, def, proj));
        }
        let _w = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        for (pos, def, proj) in plan {
            out.push(match self.storage.get(&def.name, &pos)? {
                Some(item) => {
                    let item = match &proj {
                        Some(p) => expr::project(&item, p),
                        None => item,
                    };
                    json!({"Item": item_to_json(&item)})
                }
                None => json!({}),
            });
        }
        Ok(json!({"Responses": out}))
    }

    fn batch_get(&self, req: &Map<String, Value>) -> R<Value> {
        let Some(Value::Object(tables)) = get(req, "RequestItems") else {
            return Err(DdbError::validation(
                "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null",
            ));
        };
        let mut responses = Map::new();
        let mut total = 0;
        let mut plan = Vec::new();
        for (name, spec) in tables {
            let def = self.def(name)?;
            let Value::Object(spec) = spec else {
                return Err(DdbError::serialization(
                    "Expected a KeysAndAttributes structure",
                ));
            };
            let mut ex = Exprs::read(spec)?;
            let proj = ex.projection(spec)?;
            ex.finish(proj.is_some())?;
            let keys = spec
                .get("Keys")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut positions = Vec::new();
            for k in &keys {
                total += 1;
                let key = parse_item(k)?;
                let pos = self.check_key(&def, &key)?;
                if positions.contains(&pos) {
                    return Err(DdbError::validation(
                        "Provided list of item keys contains duplicates",
                    ));
                }
                positions.push(pos);
            }
            plan.push((def, proj, positions));
        }
        if total > 100 {
            return Err(DdbError::validation(
                "Too many items requested for the BatchGetItem call",
            ));
        }
        for (def, proj, positions) in plan {
            let mut items = Vec::new();
            for pos in positions {
                if let Some(item) = self.storage.get(&def.name, &pos)? {
                    let item = match &proj {
                        Some(p) => expr::project(&item, p),
                        None => item,
                    };
                    items.push(item_to_json(&item));
                }
            }
            responses.insert(def.name.clone(), Value::Array(items));
        }
        Ok(json!({"Responses": responses, "UnprocessedKeys": {}}))
    }
}

fn fnv(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for x in b {
        h ^= u64::from(*x);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

fn parse_key_schema(v: &Value) -> R<KeySchema> {
    let list = v
        .as_array()
        .ok_or_else(|| DdbError::serialization("Expected a list for member 'KeySchema'"))?;
    let mut hash = None;
    let mut range = None;
    for k in list {
        let n = k["AttributeName"].as_str().unwrap_or_default().to_string();
        match k["KeyType"].as_str() {
            Some("HASH") if hash.is_none() => hash = Some(n),
            Some("RANGE") if range.is_none() && hash.is_some() => range = Some(n),
            _ => {
                return Err(DdbError::validation(
                    "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
                ));
            }
        }
    }
    let hash = hash.ok_or_else(|| {
        DdbError::validation("1 validation error detected: Value '[]' at 'keySchema' failed to satisfy constraint: Member must have length greater than or equal to 1")
    })?;
    if range.as_ref() == Some(&hash) {
        return Err(DdbError::validation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        ));
    }
    Ok(KeySchema { hash, range })
}

/// Splits a KeyConditionExpression into the partition value and the
/// optional sort-key condition, with DynamoDB's checks.
fn key_condition(def: &TableDef, key: &KeySchema, c: &Cond) -> R<(AttributeValue, Option<Cond>)> {
    let unsupported = || {
        DdbError::validation("Invalid KeyConditionExpression: Query key condition not supported")
    };
    fn bad_operator(c: &Cond) -> Option<&'static str> {
        match c {
            Cond::Or(..) => Some("OR"),
            Cond::Not(..) => Some("NOT"),
            Cond::In(..) => Some("IN"),
            Cond::Cmp(_, expr::Cmp::Ne, _) => Some("<>"),
            Cond::Exists(_) => Some("attribute_exists"),
            Cond::NotExists(_) => Some("attribute_not_exists"),
            Cond::Type(..) => Some("attribute_type"),
            Cond::Contains(..) => Some("contains"),
            Cond::And(a, b) => bad_operator(a).or_else(|| bad_operator(b)),
            _ => None,
        }
    }
    if let Some(op) = bad_operator(c) {
        return Err(DdbError::validation(format!(
            "Invalid operator used in KeyConditionExpression: {op}"
        )));
    }
    let terms: Vec<&Cond> = match c {
        Cond::And(a, b) => {
            if matches!(**a, Cond::And(..)) || matches!(**b, Cond::And(..)) {
                return Err(DdbError::validation(
                    "Conditions can be of length 1 or 2 only",
                ));
            }
            vec![a, b]
        }
        c => vec![c],
    };
    let attr_of = |c: &Cond| -> Option<String> {
        let p = match c {
            Cond::Cmp(Operand::Path(p), _, Operand::Value(_))
            | Cond::Between(Operand::Path(p), Operand::Value(_), Operand::Value(_))
            | Cond::BeginsWith(Operand::Path(p), Operand::Value(_)) => p,
            _ => return None,
        };
        match p.0.as_slice() {
            [Step::Attr(a)] => Some(a.clone()),
            _ => None,
        }
    };
    let mut hash = None;
    let mut range = None;
    for t in terms {
        let Some(a) = attr_of(t) else {
            return Err(unsupported());
        };
        if a == key.hash {
            if hash.is_some() {
                return Err(DdbError::validation(
                    "KeyConditionExpressions must only contain one condition per key",
                ));
            }
            match t {
                Cond::Cmp(_, expr::Cmp::Eq, Operand::Value(v)) => hash = Some(v.clone()),
                _ => return Err(unsupported()),
            }
        } else if Some(&a) == key.range.as_ref() {
            if range.is_some() {
                return Err(DdbError::validation(
                    "KeyConditionExpressions must only contain one condition per key",
                ));
            }
            if matches!(t, Cond::Cmp(_, expr::Cmp::Ne, _)) {
                return Err(unsupported());
            }
            range = Some(t.clone());
        } else {
            return Err(DdbError::validation(format!(
                "Query condition missed key schema element: {}",
                key.hash
            )));
        }
    }
    let hash = hash.ok_or_else(|| {
        DdbError::validation(format!(
            "Query condition missed key schema element: {}",
            key.hash
        ))
    })?;
    let mismatch = || {
        DdbError::validation(
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        )
    };
    if Some(hash.type_name()) != def.attr_type(&key.hash) {
        return Err(mismatch());
    }
    if let (Some(r), Some(rk)) = (&range, &key.range) {
        let want = def.attr_type(rk);
        let vals: Vec<&AttributeValue> = match r {
            Cond::Cmp(_, _, Operand::Value(v)) | Cond::BeginsWith(_, Operand::Value(v)) => vec![v],
            Cond::Between(_, Operand::Value(a), Operand::Value(b)) => vec![a, b],
            _ => vec![],
        };
        if vals.iter().any(|v| Some(v.type_name()) != want) {
            return Err(mismatch());
        }
        if let Cond::BeginsWith(..) = r
            && want == Some("N")
        {
            return Err(DdbError::validation(
                "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
            ));
        }
        if let Cond::Between(_, Operand::Value(a), Operand::Value(b)) = r
            && a.compare(b).is_some_and(|o| o.is_gt())
        {
            return Err(DdbError::validation(format!(
                "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lowerBound: {}, upperBound: {}",
                a.to_json(),
                b.to_json()
            )));
        }
    }
    Ok((hash, range))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(t: &Tables, op: &str, v: Value) -> R<Value> {
        t.handle(op, &v)
    }

    fn setup() -> Tables {
        let t = Tables::in_memory();
        call(&t, "CreateTable", json!({
            "TableName": "Tab",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}, {"AttributeName": "g", "AttributeType": "N"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "GlobalSecondaryIndexes": [{"IndexName": "g-index", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}],
            "BillingMode": "PAY_PER_REQUEST",
        })).unwrap();
        for i in [10, 2, 1, 30] {
            call(&t, "PutItem", json!({"TableName": "Tab", "Item": {"pk": {"S": "a"}, "sk": {"N": i.to_string()}, "g": {"N": (i % 3).to_string()}}})).unwrap();
        }
        t
    }

    #[test]
    fn query_orders_numerically_and_pages() {
        let t = setup();
        let q = |extra: Value| {
            let mut req = json!({"TableName": "Tab", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}});
            for (k, v) in extra.as_object().unwrap() {
                req[k] = v.clone();
            }
            call(&t, "Query", req).unwrap()
        };
        let r = q(json!({}));
        let sks: Vec<&str> = r["Items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["sk"]["N"].as_str().unwrap())
            .collect();
        assert_eq!(sks, ["1", "2", "10", "30"]);
        let r = q(json!({"Limit": 3, "ScanIndexForward": false}));
        assert_eq!(r["Count"], 3);
        let lek = r["LastEvaluatedKey"].clone();
        assert_eq!(lek, json!({"pk": {"S": "a"}, "sk": {"N": "2"}}));
        let r = q(json!({"Limit": 3, "ScanIndexForward": false, "ExclusiveStartKey": lek}));
        assert_eq!(r["Items"][0]["sk"]["N"], "1");
        let r = q(json!({"Select": "COUNT"}));
        assert_eq!(r["Count"], 4);
        assert!(r.get("Items").is_none());
    }

    #[test]
    fn gsi_and_conditions() {
        let t = setup();
        let r = call(&t, "Query", json!({"TableName": "Tab", "IndexName": "g-index", "KeyConditionExpression": "#g = :g",
            "ExpressionAttributeNames": {"#g": "g"}, "ExpressionAttributeValues": {":g": {"N": "1"}}})).unwrap();
        assert_eq!(r["Count"], 2, "{r}");
        let e = call(&t, "PutItem", json!({"TableName": "Tab", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "ConditionExpression": "attribute_not_exists(pk)"})).unwrap_err();
        assert_eq!(e.code, "ConditionalCheckFailedException");
        let e = call(&t, "PutItem", json!({"TableName": "Tab", "Item": {"pk": {"S": "a"}, "sk": {"N": "5"}, "g": {"S": "x"}}})).unwrap_err();
        assert!(
            e.message.contains("Type mismatch for Index Key g"),
            "{}",
            e.message
        );
        let e = call(&t, "Query", json!({"TableName": "Tab", "KeyConditionExpression": "sk = :p", "ExpressionAttributeValues": {":p": {"N": "1"}}})).unwrap_err();
        assert_eq!(e.message, "Query condition missed key schema element: pk");
        let e = call(
            &t,
            "GetItem",
            json!({"TableName": "Nope", "Key": {"pk": {"S": "a"}}}),
        )
        .unwrap_err();
        assert_eq!(e.code, "ResourceNotFoundException");
    }

    #[test]
    fn update_item_returns_values() {
        let t = setup();
        let r = call(&t, "UpdateItem", json!({"TableName": "Tab", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
            "UpdateExpression": "SET cnt = if_not_exists(cnt, :z) + :one", "ExpressionAttributeValues": {":z": {"N": "0"}, ":one": {"N": "1"}},
            "ReturnValues": "UPDATED_NEW"})).unwrap();
        assert_eq!(r, json!({"Attributes": {"cnt": {"N": "1"}}}));
        let e = call(
            &t,
            "UpdateItem",
            json!({"TableName": "Tab", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
            "UpdateExpression": "SET pk = :z", "ExpressionAttributeValues": {":z": {"S": "b"}}}),
        )
        .unwrap_err();
        assert!(e.message.contains("part of the key"));
        let r = call(&t, "UpdateItem", json!({"TableName": "Tab", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
            "UpdateExpression": "SET m = :m", "ExpressionAttributeValues": {":m": {"M": {"x": {"N": "1"}, "y": {"N": "2"}}}}})).unwrap();
        assert_eq!(r, json!({}));
        let r = call(&t, "UpdateItem", json!({"TableName": "Tab", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
            "UpdateExpression": "SET m.y = :v", "ExpressionAttributeValues": {":v": {"N": "3"}}, "ReturnValues": "UPDATED_OLD"})).unwrap();
        assert_eq!(r, json!({"Attributes": {"m": {"M": {"y": {"N": "2"}}}}}));
    }

    #[test]
    fn sqlite_survives_reopen_and_keeps_indexes_in_step() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tables.sqlite3");
        let open = || {
            Tables::open(
                Arc::new(crate::storage::SqliteStorage::open(&path).unwrap()),
                "us-east-1",
                "123456789012",
            )
            .unwrap()
        };
        let gsi_query = |t: &Tables, g: &str| {
            call(t, "Query", json!({"TableName": "Tab", "IndexName": "g-index", "KeyConditionExpression": "g = :g",
                "ExpressionAttributeValues": {":g": {"N": g}}})).unwrap()["Count"].clone()
        };
        {
            let t = open();
            call(&t, "CreateTable", json!({
                "TableName": "Tab",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "N"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "GlobalSecondaryIndexes": [{"IndexName": "g-index", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "KEYS_ONLY"}}],
                "BillingMode": "PAY_PER_REQUEST",
            })).unwrap();
            for (pk, g) in [("a", "1"), ("b", "1"), ("c", "2")] {
                call(&t, "PutItem", json!({"TableName": "Tab", "Item": {"pk": {"S": pk}, "g": {"N": g}, "x": {"S": "big"}}})).unwrap();
            }
            // Moving an item to another index partition removes the old entry.
            call(&t, "UpdateItem", json!({"TableName": "Tab", "Key": {"pk": {"S": "b"}}, "UpdateExpression": "SET g = :g",
                "ExpressionAttributeValues": {":g": {"N": "2"}}})).unwrap();
            call(
                &t,
                "DeleteItem",
                json!({"TableName": "Tab", "Key": {"pk": {"S": "c"}}}),
            )
            .unwrap();
        }
        let t = open();
        assert_eq!(gsi_query(&t, "1"), 1);
        assert_eq!(gsi_query(&t, "2"), 1);
        let r = call(
            &t,
            "Query",
            json!({"TableName": "Tab", "IndexName": "g-index", "KeyConditionExpression": "g = :g",
            "ExpressionAttributeValues": {":g": {"N": "2"}}}),
        )
        .unwrap();
        assert_eq!(
            r["Items"],
            json!([{"pk": {"S": "b"}, "g": {"N": "2"}}]),
            "KEYS_ONLY projection"
        );
        let d = call(&t, "DescribeTable", json!({"TableName": "Tab"})).unwrap();
        assert_eq!(d["Table"]["ItemCount"], 2);
    }

    #[test]
    fn local_secondary_index_orders_by_its_sort_key() {
        let t = Tables::in_memory();
        call(&t, "CreateTable", json!({
            "TableName": "Tab",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "score", "AttributeType": "N"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "LocalSecondaryIndexes": [{"IndexName": "by-score", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "score", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}],
            "BillingMode": "PAY_PER_REQUEST",
        })).unwrap();
        for (sk, score) in [("a", "30"), ("b", "-5"), ("c", "7.5")] {
            call(&t, "PutItem", json!({"TableName": "Tab", "Item": {"pk": {"S": "p"}, "sk": {"S": sk}, "score": {"N": score}}})).unwrap();
        }
        let r = call(&t, "Query", json!({"TableName": "Tab", "IndexName": "by-score", "KeyConditionExpression": "pk = :p AND score > :z",
            "ExpressionAttributeValues": {":p": {"S": "p"}, ":z": {"N": "0"}}})).unwrap();
        let sks: Vec<&str> = r["Items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["sk"]["S"].as_str().unwrap())
            .collect();
        assert_eq!(sks, ["c", "a"]);
        let r = call(
            &t,
            "Query",
            json!({"TableName": "Tab", "KeyConditionExpression": "pk = :p AND begins_with(sk, :b)",
            "ExpressionAttributeValues": {":p": {"S": "p"}, ":b": {"S": "b"}}}),
        )
        .unwrap();
        assert_eq!(r["Count"], 1);
        let e = call(
            &t,
            "Query",
            json!({"TableName": "Tab", "KeyConditionExpression": "pk = :p AND sk BETWEEN :b AND :a",
            "ExpressionAttributeValues": {":p": {"S": "p"}, ":a": {"S": "a"}, ":b": {"S": "b"}}}),
        )
        .unwrap_err();
        assert!(e.message.contains("BETWEEN"), "{}", e.message);
        let e = call(
            &t,
            "Query",
            json!({"TableName": "Tab", "KeyConditions": {}}),
        )
        .unwrap_err();
        assert!(
            e.message.contains("legacy parameter KeyConditions"),
            "{}",
            e.message
        );
    }

    #[test]
    fn transactions_are_all_or_nothing() {
        let t = setup();
        let key = |sk: &str| json!({"pk": {"S": "a"}, "sk": {"N": sk}});
        let e = call(&t, "TransactWriteItems", json!({"TransactItems": [
            {"Put": {"TableName": "Tab", "Item": {"pk": {"S": "a"}, "sk": {"N": "99"}}}},
            {"Delete": {"TableName": "Tab", "Key": key("1")}},
            {"ConditionCheck": {"TableName": "Tab", "Key": key("2"), "ConditionExpression": "attribute_not_exists(pk)"}},
        ]})).unwrap_err();
        assert_eq!(e.code, "TransactionCanceledException");
        assert_eq!(e.extra[1].1[2]["Code"], "ConditionalCheckFailed");
        assert_eq!(e.extra[1].1[0]["Code"], "None");
        let got = call(&t, "TransactGetItems", json!({"TransactItems": [
            {"Get": {"TableName": "Tab", "Key": key("99")}}, {"Get": {"TableName": "Tab", "Key": key("1")}},
        ]})).unwrap();
        assert_eq!(got["Responses"][0], json!({}), "nothing was written");
        assert_eq!(got["Responses"][1]["Item"]["sk"]["N"], "1");
        call(&t, "TransactWriteItems", json!({"TransactItems": [
            {"Put": {"TableName": "Tab", "Item": {"pk": {"S": "a"}, "sk": {"N": "99"}}}},
            {"Update": {"TableName": "Tab", "Key": key("1"), "UpdateExpression": "ADD c :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        ]})).unwrap();
        let got = call(&t, "GetItem", json!({"TableName": "Tab", "Key": key("1")})).unwrap();
        assert_eq!(got["Item"]["c"]["N"], "1");
        let e = call(&t, "TransactWriteItems", json!({"TransactItems": [
            {"Delete": {"TableName": "Tab", "Key": key("1")}}, {"Delete": {"TableName": "Tab", "Key": key("1")}},
        ]})).unwrap_err();
        assert!(e.message.contains("multiple operations on one item"));
    }

    #[test]
    fn update_table_adds_and_removes_a_gsi() {
        let t = setup();
        call(&t, "UpdateTable", json!({"TableName": "Tab",
            "AttributeDefinitions": [{"AttributeName": "sk", "AttributeType": "N"}],
            "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "sk-index",
                "KeySchema": [{"AttributeName": "sk", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}},
                {"Delete": {"IndexName": "g-index"}}]})).unwrap();
        let r = call(
            &t,
            "Query",
            json!({"TableName": "Tab", "IndexName": "sk-index", "KeyConditionExpression": "sk = :v",
            "ExpressionAttributeValues": {":v": {"N": "10"}}}),
        )
        .unwrap();
        assert_eq!(r["Count"], 1, "existing items are backfilled");
        let e = call(
            &t,
            "Query",
            json!({"TableName": "Tab", "IndexName": "g-index", "KeyConditionExpression": "g = :v",
            "ExpressionAttributeValues": {":v": {"N": "1"}}}),
        )
        .unwrap_err();
        assert!(
            e.message.contains("does not have the specified index"),
            "{}",
            e.message
        );
    }

    #[test]
    fn tags_and_ttl_settings() {
        let t = setup();
        let arn =
            call(&t, "DescribeTable", json!({"TableName": "Tab"})).unwrap()["Table"]["TableArn"]
                .clone();
        call(&t, "TagResource", json!({"ResourceArn": arn, "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]})).unwrap();
        call(
            &t,
            "UntagResource",
            json!({"ResourceArn": arn, "TagKeys": ["a"]}),
        )
        .unwrap();
        let r = call(&t, "ListTagsOfResource", json!({"ResourceArn": arn})).unwrap();
        assert_eq!(r, json!({"Tags": [{"Key": "b", "Value": "2"}]}));
        call(&t, "UpdateTimeToLive", json!({"TableName": "Tab", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "exp"}})).unwrap();
        let r = call(&t, "DescribeTimeToLive", json!({"TableName": "Tab"})).unwrap();
        assert_eq!(r["TimeToLiveDescription"]["TimeToLiveStatus"], "ENABLED");
    }
}
