import type { JsonSchema } from '../mcp/types.js';
import { isJsonObject } from '../shared/json-values.js';

/**
 * What OpenAI's chat completions endpoint accepts as `tools[].function.parameters`, from its API
 * reference and the 400s it answers: a root of `type: "object"`, no `anyOf` / `oneOf` / `allOf` /
 * `enum` / `not` at the root, and every `$ref` resolvable inside the schema. vLLM, Ollama, llama.cpp
 * and LiteLLM accept at least that much.
 */
const ROOT_COMBINATORS = ['anyOf', 'oneOf', 'allOf'] as const;

type Schema = Record<string, unknown>;

/** Follows a local JSON pointer (`#/$defs/Item`, `#/definitions/Item`, `#/properties/a`). */
function resolvePointer(root: Schema, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let target: unknown = root;
  for (const raw of ref.slice(1).split('/').filter((part) => part !== '')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    target = isJsonObject(target) ? target[key] : Array.isArray(target) ? target[Number(key)] : undefined;
    if (target === undefined) return undefined;
  }
  return target;
}

/** Replaces `$ref`s that do not resolve inside the schema (remote ones, typos) with an open schema that says so. */
function withResolvableRefs(node: unknown, root: Schema): unknown {
  if (Array.isArray(node)) return node.map((item) => withResolvableRefs(item, root));
  if (!isJsonObject(node)) return node;
  const copy: Schema = {};
  for (const [key, value] of Object.entries(node)) copy[key] = withResolvableRefs(value, root);
  if (typeof copy.$ref === 'string' && !isJsonObject(resolvePointer(root, copy.$ref))) {
    const { $ref, ...rest } = copy;
    return { ...rest, description: [rest.description, `(schema ${String($ref)} not available)`].filter(Boolean).join(' ') };
  }
  return copy;
}

/** One property's schemas across variants: a single one, an enum of all their constants, or `anyOf` (allowed below the root). */
function mergeProperty(schemas: Schema[]): Schema {
  const distinct = schemas.filter((schema, index) => schemas.findIndex((other) => JSON.stringify(other) === JSON.stringify(schema)) === index);
  if (distinct.length === 1) return distinct[0]!;
  const constants = distinct.map((schema) => ('const' in schema ? [schema.const] : Array.isArray(schema.enum) ? schema.enum : undefined));
  if (constants.every((values) => values !== undefined)) {
    const values = [...new Set(constants.flat())];
    const types = [...new Set(values.map((value) => typeof value))];
    return { ...(types.length === 1 && types[0] !== 'object' ? { type: types[0] } : {}), enum: values };
  }
  return { anyOf: distinct };
}

/** A variant in words, for the model: `action = "create", name`. */
function describeVariant(variant: Schema): string {
  const properties = isJsonObject(variant.properties) ? variant.properties : {};
  const required = Array.isArray(variant.required) ? (variant.required as string[]) : Object.keys(properties);
  return required
    .map((name) => {
      const property = properties[name];
      return isJsonObject(property) && 'const' in property ? `${name} = ${JSON.stringify(property.const)}` : name;
    })
    .join(', ');
}

/**
 * Folds root-level variants into one object: every property any variant has, required only where all
 * variants require it (`allOf`: where any does). The description lists the variants, so the model still
 * knows which arguments go together; the server's own schema still checks each call.
 */
function foldRootVariants(root: Schema): Schema {
  let folded: Schema = { ...root };
  for (const combinator of ROOT_COMBINATORS) {
    const variants = Array.isArray(folded[combinator]) ? (folded[combinator] as unknown[]).filter(isJsonObject).map((variant) => inlineRootRef(variant, root)) : undefined;
    if (!variants) continue;
    const { [combinator]: _dropped, ...rest } = folded;
    const all = [rest, ...variants];
    const names = [...new Set(all.flatMap((schema) => (isJsonObject(schema.properties) ? Object.keys(schema.properties) : [])))];
    const properties: Schema = {};
    for (const name of names) {
      properties[name] = mergeProperty(all.flatMap((schema) => (isJsonObject(schema.properties) && isJsonObject(schema.properties[name]) ? [schema.properties[name]] : [])));
    }
    const requiredBy = (schema: Schema) => new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    const own = [...requiredBy(rest)];
    const fromVariants =
      combinator === 'allOf'
        ? variants.flatMap((variant) => [...requiredBy(variant)])
        : names.filter((name) => variants.length > 0 && variants.every((variant) => requiredBy(variant).has(name)));
    const required = [...new Set([...own, ...fromVariants])];
    const choices = combinator === 'allOf' ? undefined : `one of these sets: ${variants.map((variant, index) => `${index + 1}) ${describeVariant(variant)}`).join('; ')}`;
    folded = { ...rest, properties };
    if (required.length > 0) folded.required = required;
    if (choices) folded.description = [rest.description, choices].filter(Boolean).join(' ');
  }
  return folded;
}

/** A `$ref` at the root of a variant or of the schema, replaced by what it points to. */
function inlineRootRef(schema: Schema, root: Schema): Schema {
  if (typeof schema.$ref !== 'string') return schema;
  const target = resolvePointer(root, schema.$ref);
  const { $ref: _ref, ...rest } = schema;
  return isJsonObject(target) ? { ...target, ...rest } : rest;
}

/**
 * A tool's input schema as an OpenAI-compatible endpoint accepts it for function calling, keeping
 * what the model needs to call the tool right. Deeper levels keep their combinators (allowed there);
 * `$defs` / `definitions` stay so local references still resolve.
 */
export function functionParameters(inputSchema: JsonSchema): JsonSchema {
  const original = inputSchema as Schema;
  let root = withResolvableRefs(inlineRootRef(original, original), original) as Schema;
  root = foldRootVariants(root);
  const { enum: _enum, not: _not, type, ...rest } = root;
  const isObjectType = type === undefined || type === 'object' || (Array.isArray(type) && type.includes('object'));
  return {
    ...rest,
    type: 'object',
    properties: isJsonObject(rest.properties) ? (rest.properties as Record<string, JsonSchema>) : {},
    ...(isObjectType ? {} : { description: [rest.description, `(the server declared type ${JSON.stringify(type)})`].filter(Boolean).join(' ') }),
  } as JsonSchema;
}
