// The YAML schema of one provider entry: the common fields (schema.ts) plus the fields its type
// declares in its protocol folder (ProviderType.quirkFields and settingFields). Built once per type.
// Before the type is known (or when it is not a registered one), every type's fields are accepted,
// so the only problem reported is the type itself.

import { z } from 'zod';
import type { ProviderType } from '../core/protocol.ts';
import { providerTypes } from '../protocols/index.ts';
import { providerCommonFields } from './schema.ts';

const byType = new Map<string, z.ZodType>();
let anyType: z.ZodType | undefined;

function fieldsOf(type: ProviderType): Record<string, z.ZodType> {
  return { ...type.quirkFields, ...type.settingFields };
}

export function providerSchemaFor(type: ProviderType | undefined): z.ZodType {
  if (type === undefined) {
    anyType ??= z.strictObject({ ...Object.assign({}, ...providerTypes.map(fieldsOf)), ...providerCommonFields });
    return anyType;
  }
  let schema = byType.get(type.type);
  if (schema === undefined) {
    schema = z.strictObject({ ...providerCommonFields, ...fieldsOf(type) });
    byType.set(type.type, schema);
  }
  return schema;
}

/** YAML field name → ConfigProvider key: `inline_think_tags` → `inlineThinkTags`. */
export function camelCase(field: string): string {
  return field.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
