import type { ElicitRequestFormParams, ElicitResult } from '@modelcontextprotocol/client';
import { NOT_THIS_QUESTION_TEXT } from './question-text.js';

/** One field of a server's form as a chat can show it. */
export interface FormField {
  name: string;
  title: string;
  description?: string;
  kind: 'text' | 'number' | 'integer' | 'boolean' | 'choice' | 'choices';
  required: boolean;
  /** For `choice` and `choices`: the values the server accepts, with what to show for each. */
  options?: { value: string; label: string }[];
  /** What the server suggests, shown pre-filled. */
  default?: string | number | boolean | string[];
}

/** What a person sent back: raw values as a platform's form widgets give them. */
export type ElicitationAnswer = { action: 'decline' } | { action: 'accept'; values: Record<string, string | string[] | boolean | undefined> };

type PropertySchema = ElicitRequestFormParams['requestedSchema']['properties'][string];

function optionsOf(property: Record<string, unknown>): { value: string; label: string }[] | undefined {
  if (Array.isArray(property.enum)) {
    const names = Array.isArray(property.enumNames) ? (property.enumNames as string[]) : [];
    return (property.enum as string[]).map((value, index) => ({ value, label: names[index] ?? value }));
  }
  const titled = (property.oneOf ?? property.anyOf) as { const: string; title?: string }[] | undefined;
  return Array.isArray(titled) ? titled.map((option) => ({ value: option.const, label: option.title ?? option.const })) : undefined;
}

function fieldOf(name: string, property: PropertySchema, required: boolean): FormField {
  const raw = property as Record<string, unknown>;
  const base = { name, title: (raw.title as string | undefined) ?? name, description: raw.description as string | undefined, required, default: raw.default as FormField['default'] };
  if (raw.type === 'array') return { ...base, kind: 'choices', options: optionsOf((raw.items ?? {}) as Record<string, unknown>) ?? [] };
  const options = optionsOf(raw);
  if (options) return { ...base, kind: 'choice', options };
  if (raw.type === 'number' || raw.type === 'integer' || raw.type === 'boolean') return { ...base, kind: raw.type };
  return { ...base, kind: 'text' };
}

/** The server's requested schema (flat, primitive properties, as MCP allows) as fields to show. */
export function formFields(schema: ElicitRequestFormParams['requestedSchema']): FormField[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, property]) => fieldOf(name, property, required.has(name)));
}

const YES = /^(y|yes|true|on|1)$/i;
const NO = /^(n|no|false|off|0)$/i;

function choiceValue(field: FormField, raw: string): string | undefined {
  const wanted = raw.trim().toLowerCase();
  return field.options?.find((option) => option.value.toLowerCase() === wanted || option.label.toLowerCase() === wanted)?.value;
}

function readField(field: FormField, raw: string | string[] | boolean): { value: unknown } | { error: string } {
  const text = typeof raw === 'string' ? raw.trim() : '';
  switch (field.kind) {
    case 'number':
    case 'integer': {
      const number = Number(text);
      if (text === '' || !Number.isFinite(number) || (field.kind === 'integer' && !Number.isInteger(number))) return { error: `${field.title} needs ${field.kind === 'integer' ? 'a whole number' : 'a number'}` };
      return { value: number };
    }
    case 'boolean':
      if (typeof raw === 'boolean') return { value: raw };
      if (YES.test(text) || NO.test(text)) return { value: YES.test(text) };
      return { error: `${field.title} needs yes or no` };
    case 'choice': {
      const value = choiceValue(field, text);
      return value === undefined ? { error: `${field.title} must be one of: ${field.options?.map((option) => option.label).join(', ')}` } : { value };
    }
    case 'choices': {
      const picked = Array.isArray(raw) ? raw : text.split(',').filter((part) => part.trim() !== '');
      const values = picked.map((part) => choiceValue(field, part));
      if (values.some((value) => value === undefined)) return { error: `${field.title} takes only: ${field.options?.map((option) => option.label).join(', ')}` };
      return { value: values };
    }
    default:
      return { value: typeof raw === 'string' ? raw : String(raw) };
  }
}

/**
 * A person's answer as the server's content, or what is wrong with it. Fields left empty are left out,
 * so the server's defaults apply; a required one left empty is an error.
 */
export function readElicitationAnswer(fields: FormField[], answer: unknown): { ok: true; value: ElicitResult } | { ok: false; message: string } {
  const given = answer as ElicitationAnswer | undefined;
  if (given?.action === 'decline') return { ok: true, value: { action: 'decline' } };
  if (given?.action !== 'accept' || typeof given.values !== 'object') return { ok: false, message: NOT_THIS_QUESTION_TEXT };
  const content: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const field of fields) {
    const raw = given.values[field.name];
    const empty = raw === undefined || (typeof raw === 'string' && raw.trim() === '') || (Array.isArray(raw) && raw.length === 0 && field.required);
    if (empty) {
      if (field.required && field.default === undefined) problems.push(`${field.title} is required`);
      continue;
    }
    const read = readField(field, raw);
    if ('error' in read) problems.push(read.error);
    else content[field.name] = read.value;
  }
  if (problems.length > 0) return { ok: false, message: `${problems.join('; ')}.` };
  return { ok: true, value: { action: 'accept', content: content as Extract<ElicitResult, { action: 'accept' }>['content'] } };
}
