/**
 * Copy-paste snippets for calling the webhook, filled with this relay's endpoint and the chosen
 * key's visible prefix. Secrets are never in them: they were shown once and are not known here.
 */

export const EXAMPLE_BODY = {
  action: 'execute_method',
  model: 'res.partner',
  method: 'search_read',
  args: [[['is_company', '=', true]]],
  kwargs: { fields: ['name', 'email'], limit: 10 },
};

export interface SnippetInput {
  endpoint: string;
  /** e.g. sk_live_Ab12Cd; the full key is a placeholder the user pastes. */
  keyPrefix: string | null;
  hmac: boolean;
}

export function keyPlaceholder(prefix: string | null): string {
  return prefix ? `${prefix}…PASTE_THE_REST_OF_YOUR_KEY` : 'sk_live_xxxxxxxxxxxxx';
}

export function curlSnippet(s: SnippetInput): string {
  const body = JSON.stringify(EXAMPLE_BODY);
  const lines = [`BODY='${body}'`];
  if (s.hmac) lines.push(`SIG=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$RELAY_HMAC_SECRET" | sed 's/^.* //')`);
  lines.push(
    `curl -sS -X POST '${s.endpoint}' \\`,
    `  -H "Authorization: Bearer $RELAY_API_KEY" \\`,
    `  -H 'Content-Type: application/json' \\`,
  );
  if (s.hmac) lines.push(`  -H "X-HMAC-Signature: $SIG" \\`);
  lines.push(`  --data-raw "$BODY"`);
  return [
    `# RELAY_API_KEY=${keyPlaceholder(s.keyPrefix)}`,
    ...(s.hmac ? ['# RELAY_HMAC_SECRET=your_hmac_secret_here'] : []),
    ...lines,
  ].join('\n');
}

export function nodeSnippet(s: SnippetInput): string {
  return `const crypto = require('crypto');

// Your request body
const requestBody = {
  action: "execute_method",
  model: "res.partner",
  method: "search_read",
  args: [[["is_company", "=", true]]],
  kwargs: { fields: ["name", "email"], limit: 10 }
};

// Your HMAC secret from API key settings (shown once when HMAC was enabled or rotated)
const hmacSecret = process.env.RELAY_HMAC_SECRET || "your_hmac_secret_here";
const apiKey = process.env.RELAY_API_KEY || "${keyPlaceholder(s.keyPrefix)}";

// Generate signature over the exact bytes you send
const bodyString = JSON.stringify(requestBody);
const signature = crypto
  .createHmac('sha256', hmacSecret)
  .update(bodyString)
  .digest('hex');

// Add to headers
const headers = {
  'Authorization': \`Bearer \${apiKey}\`,
  'X-HMAC-Signature': signature,
  'Content-Type': 'application/json'
};

// Node 18+: fetch is built in
fetch('${s.endpoint}', { method: 'POST', headers, body: bodyString })
  .then((res) => res.json())
  .then((data) => console.log(data));
`;
}

export function pythonSnippet(s: SnippetInput): string {
  return `import hmac
import hashlib
import json
import os
import urllib.request

# Your request body
request_body = {
    "action": "execute_method",
    "model": "res.partner",
    "method": "search_read",
    "args": [[["is_company", "=", True]]],
    "kwargs": {"fields": ["name", "email"], "limit": 10}
}

# Your HMAC secret from API key settings (shown once when HMAC was enabled or rotated)
hmac_secret = os.environ.get("RELAY_HMAC_SECRET", "your_hmac_secret_here")
api_key = os.environ.get("RELAY_API_KEY", "${keyPlaceholder(s.keyPrefix)}")

# Generate signature over the exact bytes you send
body_string = json.dumps(request_body, separators=(',', ':'))
signature = hmac.new(
    hmac_secret.encode('utf-8'),
    body_string.encode('utf-8'),
    hashlib.sha256
).hexdigest()

# Add to headers
headers = {
    'Authorization': f'Bearer {api_key}',
    'X-HMAC-Signature': signature,
    'Content-Type': 'application/json'
}

req = urllib.request.Request('${s.endpoint}', data=body_string.encode('utf-8'), headers=headers, method='POST')
with urllib.request.urlopen(req) as res:
    print(json.loads(res.read()))
`;
}

/**
 * An n8n workflow fragment to paste onto the canvas. Without HMAC: one HTTP Request node with a
 * Header Auth credential and a JSON body. With HMAC: the body is built as a string first and
 * signed by n8n's Crypto node, and the HTTP Request sends that exact string — n8n would
 * otherwise re-serialize the JSON and the signature would not match.
 */
export function n8nWorkflow(s: SnippetInput): string {
  const credentials = { httpHeaderAuth: { name: 'Odoo Relay API key' } };
  const url = s.endpoint;
  if (!s.hmac) {
    return JSON.stringify(
      {
        nodes: [
          {
            parameters: {
              method: 'POST',
              url,
              authentication: 'genericCredentialType',
              genericAuthType: 'httpHeaderAuth',
              sendBody: true,
              specifyBody: 'json',
              jsonBody: JSON.stringify(EXAMPLE_BODY, null, 2),
              options: {},
            },
            name: 'Odoo Relay',
            type: 'n8n-nodes-base.httpRequest',
            typeVersion: 4.2,
            position: [0, 0],
            credentials,
          },
        ],
        connections: {},
      },
      null,
      2,
    );
  }
  return JSON.stringify(
    {
      nodes: [
        {
          parameters: { jsCode: `return [{ json: { body: JSON.stringify(${JSON.stringify(EXAMPLE_BODY)}) } }];` },
          name: 'Build body',
          type: 'n8n-nodes-base.code',
          typeVersion: 2,
          position: [0, 0],
        },
        {
          parameters: { action: 'hmac', type: 'SHA256', value: '={{ $json.body }}', dataPropertyName: 'signature', secret: 'your_hmac_secret_here', encoding: 'hex' },
          name: 'Sign body',
          type: 'n8n-nodes-base.crypto',
          typeVersion: 1,
          position: [220, 0],
        },
        {
          parameters: {
            method: 'POST',
            url,
            authentication: 'genericCredentialType',
            genericAuthType: 'httpHeaderAuth',
            sendHeaders: true,
            headerParameters: { parameters: [{ name: 'X-HMAC-Signature', value: '={{ $json.signature }}' }] },
            sendBody: true,
            contentType: 'raw',
            rawContentType: 'application/json',
            body: '={{ $json.body }}',
            options: {},
          },
          name: 'Odoo Relay',
          type: 'n8n-nodes-base.httpRequest',
          typeVersion: 4.2,
          position: [440, 0],
          credentials,
        },
      ],
      connections: {
        'Build body': { main: [[{ node: 'Sign body', type: 'main', index: 0 }]] },
        'Sign body': { main: [[{ node: 'Odoo Relay', type: 'main', index: 0 }]] },
      },
    },
    null,
    2,
  );
}
