// The AWS APIs Baton serves, called the way an SDK calls them, plus the
// console's own endpoints under /_baton/console.

export class ApiError extends Error {
  constructor(code, message, status) {
    super(message || code);
    this.code = code;
    this.status = status;
  }
}

async function failure(res) {
  let code = res.headers.get('x-amzn-ErrorType') || `HTTP ${res.status}`;
  let message = res.statusText;
  try {
    const body = await res.json();
    code = String(body.__type || body.Type || code).split('#').pop().split(':')[0];
    message = body.message || body.Message || message;
  } catch {
    /* not JSON */
  }
  return new ApiError(code, message, res.status);
}

async function awsJson(target, op, body) {
  const res = await fetch('/', {
    method: 'POST',
    headers: { 'X-Amz-Target': `${target}.${op}`, 'Content-Type': 'application/x-amz-json-1.0' },
    body: JSON.stringify(body || {}),
  });
  if (!res.ok) throw await failure(res);
  return res.json();
}

/** A Step Functions operation: sfn('ListExecutions', {...}). */
export const sfn = (op, body) => awsJson('AWSStepFunctions', op, body);
/** A DynamoDB operation. */
export const ddb = (op, body) => awsJson('DynamoDB_20120810', op, body);

/** Every page of a paginated Step Functions list. */
export async function sfnAll(op, body, key, max = 10000) {
  const out = [];
  let nextToken;
  do {
    const page = await sfn(op, { ...body, nextToken });
    out.push(...(page[key] || []));
    nextToken = page.nextToken;
  } while (nextToken && out.length < max);
  return out;
}

/** GET a JSON document (console endpoints, Lambda's REST API, the mailbox). */
export async function getJson(url) {
  const res = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!res.ok) throw await failure(res);
  return res.json();
}

export async function getText(url) {
  const res = await fetch(url);
  if (!res.ok) throw await failure(res);
  return res.text();
}

export function q(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, v);
  return u.toString();
}
