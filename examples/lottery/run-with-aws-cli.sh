#!/usr/bin/env bash
# The seed's lottery tutorial, step by step, with the plain `aws` CLI against a
# running Baton instead of the AWS console:
#
#   cargo run --release -- serve &          # in another terminal
#   examples/lottery/run-with-aws-cli.sh    # BATON_ENDPOINT=http://127.0.0.1:4566 by default
#
# Each numbered step below is a step of the tutorial. Run it once against a
# fresh data directory (`baton serve --in-memory` or a new --data-dir): like
# the tutorial, it creates the resources and fails if they already exist.
#
# Needs: aws (v1 or v2), curl, zip, python3.
set -euo pipefail

ENDPOINT="${BATON_ENDPOINT:-http://127.0.0.1:4566}"
EMAIL="${LOTTERY_EMAIL:-lottery-winners@example.com}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Baton accepts any credentials (unless started with --auth); the CLI insists on some.
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_PAGER=""

aws() { command aws --endpoint-url "$ENDPOINT" "$@"; }
step() { printf '\n== %s\n' "$*"; }

# --- IAM role -----------------------------------------------------------------
# The tutorial creates a role with DynamoDB, Lambda basic execution, SNS and
# Step Functions access. Baton has no IAM: any well-formed role ARN is accepted.
ACCOUNT="${BATON_ACCOUNT:-123456789012}"
LAMBDA_ROLE="arn:aws:iam::${ACCOUNT}:role/lottery-lambda-role"
SFN_ROLE="arn:aws:iam::${ACCOUNT}:role/MyStepFunctionsExecutionRole"

# --- Lambda: the four functions, from zips ------------------------------------
create_function() { # name → prints the function's ARN
    (cd "$HERE/functions/$1" && zip -q -X "$WORK/$1.zip" lambda_function.py)
    aws lambda create-function \
        --function-name "$1" \
        --runtime python3.12 \
        --role "$LAMBDA_ROLE" \
        --handler lambda_function.lambda_handler \
        --zip-file "fileb://$WORK/$1.zip" \
        --query FunctionArn --output text
}
step "Lambda: create the four functions (Python, handler lambda_function.lambda_handler)"
INPUT_WINNERS_ARN="$(create_function Lottery-InputWinners)" && echo "$INPUT_WINNERS_ARN"
RANDOM_SELECT_WINNERS_ARN="$(create_function Lottery-RandomSelectWinners)" && echo "$RANDOM_SELECT_WINNERS_ARN"
VALIDATE_WINNERS_ARN="$(create_function Lottery-ValidateWinners)" && echo "$VALIDATE_WINNERS_ARN"
RECORD_WINNERS_ARN="$(create_function Lottery-RecordWinners)" && echo "$RECORD_WINNERS_ARN"

# --- SNS: the topic and its e-mail subscription --------------------------------
step "SNS: create topic Lottery-Notification (display name Lottery)"
TOPIC_ARN="$(aws sns create-topic --name Lottery-Notification \
    --attributes DisplayName=Lottery --query TopicArn --output text)"
echo "$TOPIC_ARN"

step "SNS: subscribe $EMAIL (protocol email)"
aws sns subscribe --topic-arn "$TOPIC_ARN" --protocol email \
    --notification-endpoint "$EMAIL" --query SubscriptionArn --output text

step "Mailbox: open the confirmation mail and follow its link"
# Baton delivers e-mail to its mailbox (GET /_baton/mailbox) instead of sending it.
LINK="$(curl -fsS "$ENDPOINT/_baton/mailbox" | python3 -c '
import json, re, sys
to = sys.argv[1]
for m in reversed(json.load(sys.stdin)["messages"]):
    found = re.search(r"https?://[^\s\"<>]*Action=ConfirmSubscription[^\s\"<>]*", m["body"])
    if m["to"] == to and found:
        print(found.group(0).replace("&amp;", "&"))
        break
else:
    sys.exit("no confirmation mail for " + to + " in the mailbox")
' "$EMAIL")"
echo "$LINK"
curl -fsS "$LINK" >/dev/null
aws sns list-subscriptions-by-topic --topic-arn "$TOPIC_ARN" \
    --query 'Subscriptions[].[Protocol,Endpoint,SubscriptionArn]' --output text

# --- DynamoDB: the two tables, the employees, the index ------------------------
step "DynamoDB: create table Lottery-Winners (key employee_id)"
aws dynamodb create-table --table-name Lottery-Winners \
    --attribute-definitions AttributeName=employee_id,AttributeType=S \
    --key-schema AttributeName=employee_id,KeyType=HASH \
    --billing-mode PAY_PER_REQUEST --query TableDescription.TableStatus --output text

step "DynamoDB: create table Lottery-Employee (key employee_id)"
aws dynamodb create-table --table-name Lottery-Employee \
    --attribute-definitions AttributeName=employee_id,AttributeType=S \
    --key-schema AttributeName=employee_id,KeyType=HASH \
    --billing-mode PAY_PER_REQUEST --query TableDescription.TableStatus --output text
aws dynamodb wait table-exists --table-name Lottery-Winners
aws dynamodb wait table-exists --table-name Lottery-Employee

step "DynamoDB: load the employees (request-items.json)"
aws dynamodb batch-write-item --request-items "file://$HERE/request-items.json"

step "DynamoDB: create index lottery_serial-index (lottery_serial, Number) on Lottery-Employee"
aws dynamodb update-table --table-name Lottery-Employee \
    --attribute-definitions AttributeName=lottery_serial,AttributeType=N \
    --global-secondary-index-updates '[{"Create": {"IndexName": "lottery_serial-index",
        "KeySchema": [{"AttributeName": "lottery_serial", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"}}}]' \
    --query 'TableDescription.GlobalSecondaryIndexes[].[IndexName,IndexStatus]' --output text
aws dynamodb wait table-exists --table-name Lottery-Employee

# --- Step Functions: the state machine with the five ARNs substituted ----------
step "Step Functions: create state machine Lottery"
sed -e "s|<InputWinners:ARN>|${INPUT_WINNERS_ARN}|" \
    -e "s|<RandomSelectWinners:ARN>|${RANDOM_SELECT_WINNERS_ARN}|" \
    -e "s|<ValidateWinners:ARN>|${VALIDATE_WINNERS_ARN}|" \
    -e "s|<RecordWinners:ARN>|${RECORD_WINNERS_ARN}|" \
    -e "s|<Notification:ARN>|${TOPIC_ARN}|" \
    "$HERE/lottery.template.json" >"$WORK/lottery.asl.json"
STATE_MACHINE_ARN="$(aws stepfunctions create-state-machine --name Lottery \
    --definition "file://$WORK/lottery.asl.json" --role-arn "$SFN_ROLE" \
    --query stateMachineArn --output text)"
echo "$STATE_MACHINE_ARN"

step 'Step Functions: start an execution with {"input": 2}'
EXECUTION_ARN="$(aws stepfunctions start-execution --state-machine-arn "$STATE_MACHINE_ARN" \
    --input '{"input": 2}' --query executionArn --output text)"
echo "$EXECUTION_ARN"

STATUS=RUNNING
for _ in $(seq 1 600); do
    STATUS="$(aws stepfunctions describe-execution --execution-arn "$EXECUTION_ARN" \
        --query status --output text)"
    [ "$STATUS" != RUNNING ] && break
    sleep 0.1
done
echo "Execution $STATUS"
aws stepfunctions get-execution-history --execution-arn "$EXECUTION_ARN" \
    --query 'events[?stateExitedEventDetails].stateExitedEventDetails.name' --output text

# --- The result ----------------------------------------------------------------
step "Result: table Lottery-Winners"
aws dynamodb scan --table-name Lottery-Winners --query 'Items[].employee_id.S' --output text

step "Result: the mailbox"
curl -fsS "$ENDPOINT/_baton/mailbox" | python3 -c '
import json, sys
for m in json.load(sys.stdin)["messages"]:
    print("To: {}\nFrom: {}\nSubject: {}\n\n{}\n".format(m["to"], m["from"], m["subject"], m["body"]))
'
[ "$STATUS" = SUCCEEDED ]
