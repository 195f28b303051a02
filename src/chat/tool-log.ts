/**
 * Every chat and MCP tool call becomes one request-log row (action `chat.tool` or `mcp.tool`)
 * under the request's id, so the existing request log shows which Odoo calls a question
 * caused, with their model, method, status, code and timings — no schema change needed.
 * Arguments are not logged: they may hold customer data typed by the model.
 */
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { stepStatus, type ToolStep } from './tools.js';
import { requestLogRow } from '../request-log/row.js';

export type ToolLogAction = 'chat.tool' | 'mcp.tool';

/** A step recorder bound to one request (its id, caller and address). */
export function toolStepLogger(ctx: AppContext, request: FastifyRequest, action: ToolLogAction): (step: ToolStep) => void {
  return (step) => {
    ctx.requestLog.add(
      requestLogRow(request, {
        action,
        model: step.model ?? null,
        method: step.method ?? step.tool,
        status: stepStatus(step),
        code: step.error?.code ?? null,
        duration_ms: step.durationMs,
        odoo_ms: step.odooMs ?? null,
      }),
    );
  };
}
