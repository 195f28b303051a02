/**
 * The chat tools as a Model Context Protocol server: the same Odoo tools, access rules,
 * row and size caps as the chat agent, for MCP clients (Claude Desktop, Cursor, …) that bring their
 * own model. One server per HTTP request (stateless Streamable HTTP), bound to one caller.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Caller } from '../auth/caller.js';
import { RelayError } from '../errors/index.js';
import { ChatStop, runTool, toolsFor, type ToolEnv } from '../chat/tools.js';
import { fitToolResult } from '../chat/limits.js';

export const MCP_SERVER_INFO = { name: 'odoo-relay', version: '0.1.0' };

/**
 * Builds the server for one caller. `env` is resolved lazily, on the first tool call, so that
 * listing tools works before an Odoo connection is configured.
 */
export function buildMcpServer(caller: Caller, allowWrites: boolean, env: () => Promise<ToolEnv>): McpServer {
  const server = new McpServer(MCP_SERVER_INFO, {
    instructions:
      "Tools over this relay's Odoo ERP. Call list_models and describe_model to find models and fields, then search_read, search_count or read_group. Domains are lists like [[\"state\", \"=\", \"sale\"]]." +
      (allowWrites ? ' create and write change data.' : ' This connection is read-only.'),
  });
  for (const tool of toolsFor(allowWrites, caller)) {
    server.registerTool(
      tool.name,
      {
        description: tool.description,
        inputSchema: tool.input,
        // A write overwrites values, and either writing tool's x2many commands may delete linked
        // records (when the key's method allow-list allows unlink): not "only additive updates".
        annotations: { readOnlyHint: !tool.writes, destructiveHint: tool.writes, openWorldHint: false },
      },
      async (args: unknown): Promise<CallToolResult> => {
        try {
          const out = await runTool(await env(), tool, args);
          // The same size cap as the chat agent's: the client's model reads this text too.
          return { content: [{ type: 'text', text: JSON.stringify(fitToolResult(out.result)) }] };
        } catch (err) {
          return toolError(err);
        }
      },
    );
  }
  return server;
}

/** A refusal as an MCP tool error: the code first, so clients and models can branch on it. */
function toolError(err: unknown): CallToolResult {
  const relayError = err instanceof ChatStop ? err.relayError : err instanceof RelayError ? err : null;
  const text = relayError ? `${relayError.code}: ${relayError.message}` : err instanceof Error ? err.message : 'The tool failed';
  return { isError: true, content: [{ type: 'text', text }] };
}
