import type { JsonSchemaType, JsonSchemaValidator } from '@modelcontextprotocol/client';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/client/validators/ajv';
import type { CatalogTool } from '../mcp/types.js';

/**
 * Checks a call's arguments against the tool's input schema before it reaches the server, so the
 * model gets a precise correction instead of a server error. Validators are compiled once per schema.
 */
export class ArgumentValidator {
  private readonly provider = new AjvJsonSchemaValidator();
  private readonly compiled = new WeakMap<object, JsonSchemaValidator<unknown>>();

  /** Undefined when the arguments are acceptable, else the reason in words. */
  check(tool: CatalogTool, args: Record<string, unknown>): string | undefined {
    let validate = this.compiled.get(tool.inputSchema);
    if (!validate) {
      try {
        validate = this.provider.getValidator(tool.inputSchema as JsonSchemaType);
      } catch {
        // A schema Ajv cannot compile is the server's problem; let the server judge the arguments.
        return undefined;
      }
      this.compiled.set(tool.inputSchema, validate);
    }
    const result = validate(args);
    return result.valid ? undefined : result.errorMessage;
  }
}
