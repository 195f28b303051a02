import { z } from 'zod';

/** RFC 6749 §5.2 error body, used by every OAuth protocol endpoint. */
export const oauthErrorBody = z
  .object({
    error: z.string().describe('invalid_request, invalid_client, invalid_grant, unauthorized_client, unsupported_grant_type or invalid_scope'),
    error_description: z.string(),
  })
  .describe('OAuth error (RFC 6749 §5.2)');

/** Client authentication in the form body (client_secret_post; public clients send client_id alone). */
export const clientAuthFields = {
  client_id: z.string().optional().describe('Client id (client_secret_post, or public clients). With client_secret_basic, send HTTP Basic instead.'),
  client_secret: z.string().optional().describe('Client secret (client_secret_post).'),
};

/** Parameters are checked by the handler (to answer OAuth errors); the schema documents them. */
export const documentOnly = () => (value: unknown) => ({ value });
