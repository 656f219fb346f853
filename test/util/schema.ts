/**
 * Schema validation for synthesized Kubernetes manifests, used by tests.
 *
 * Every object is checked for types, required fields, enums/formats/patterns AND for unknown
 * (misspelled) keys, which the model packages' own `validate()` silently accepts.
 *
 * Where the schemas come from
 * ---------------------------
 * `kubernetes-models@4` and `@kubernetes-models/prometheus-operator@4` do not ship JSON schemas:
 * their `_schemas/*.js` files are ajv "standalone" validators compiled to JavaScript. (Only
 * `@kubernetes-models/istio@2` still carries raw schemas, compiled by ajv at runtime.) So for
 * every model-backed kind we:
 *   1. find the model class generically: `require(<package>/<group>/<version>)` and pick the export
 *      whose static `apiVersion`/`kind` match (cached per apiVersion+kind, misses included);
 *   2. run the class' own validator against a recording Proxy of the object. The validator
 *      reports type/required/enum/format/pattern errors, and in doing so reads every property
 *      its schema declares at every object it descends into, and enumerates the keys of map-like
 *      objects (`additionalProperties: {...}`, e.g. `metadata.labels`);
 *   3. walk the object: at an object where the validator read properties, a key it never read is
 *      not in the schema, i.e. an unknown field. An object the validator never looked inside is
 *      free-form (`x-kubernetes-preserve-unknown-fields`, `type: object` without properties).
 *
 * Hand-written schemas for CRDs without a model package go through `registerSchema` and a small
 * JSON-schema walker below, which applies the same rules and reports errors in the same format.
 */
import * as fs from 'fs';
import { createRequire } from 'module';
import * as nodePath from 'path';
import { DEFAULT_KUBERNETES_VERSION } from '../../lib/core/kubernetes-version';

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

export type JSONSchemaType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null';

/** Kubernetes structural-schema extensions; other `x-` keys are accepted and ignored. */
export interface JSONSchemaExtensions {
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  [extension: `x-${string}`]: unknown;
}

/** The JSON-schema subset understood by `registerSchema` (structural, Kubernetes-CRD style). */
export interface JSONSchema extends JSONSchemaExtensions {
  type?: JSONSchemaType | JSONSchemaType[];
  nullable?: boolean;
  properties?: Record<string, JSONSchema>;
  /** `false` forbids extra keys; `true` or a schema (a map's values) allows them. */
  additionalProperties?: boolean | JSONSchema;
  required?: string[];
  minProperties?: number;
  maxProperties?: number;
  items?: JSONSchema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  enum?: unknown[];
  const?: unknown;
  /** int32 and int64 are range-checked; other formats are annotations only. */
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  allOf?: JSONSchema[];
  anyOf?: JSONSchema[];
  oneOf?: JSONSchema[];
  not?: JSONSchema;
  /** Local references only: `#/definitions/Name`, `#/$defs/Name`, or any `#/...` pointer. */
  $ref?: string;
  definitions?: Record<string, JSONSchema>;
  $defs?: Record<string, JSONSchema>;
  $schema?: string;
  $id?: string;
  $comment?: string;
  title?: string;
  description?: string;
  default?: unknown;
  example?: unknown;
  examples?: unknown[];
}

/**
 * Validates one manifest object. Returns human-readable errors (empty when valid), e.g.
 * `Deployment/order-service: spec.template.spec.containers[0].securityContxt: unknown field`.
 */
export function validateObject(obj: any): string[] {
  if (obj !== null && typeof obj === 'object' && typeof obj.toJson === 'function') obj = obj.toJson(); // cdk8s ApiObject
  if (!isPlainObject(obj)) return [`${describe(obj)}: not a Kubernetes object`];
  const label = `${typeof obj.kind === 'string' ? obj.kind : '<no kind>'}/${typeof obj.metadata?.name === 'string' ? obj.metadata.name : '<unnamed>'}`;
  if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') {
    return [`${label}: apiVersion and kind must be strings`];
  }
  const validator = lookup(obj.apiVersion, obj.kind);
  if (!validator) return [`${label}: no schema for ${obj.apiVersion} ${obj.kind}`];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of validator(obj)) {
    const line = `${label}: ${renderPath(e.path)}: ${e.message}`;
    if (!seen.has(line)) {
      seen.add(line);
      out.push(line);
    }
  }
  return out;
}

/** Validates many manifest objects; returns all errors. */
export function validateAll(objs: readonly any[]): string[] {
  return objs.flatMap(o => validateObject(o));
}

/**
 * Registers a hand-written schema for a kind without a model package (e.g. Flagger, Chaos Mesh),
 * or overrides a packaged one. `apiVersion`, `kind` and `metadata` (validated as ObjectMeta) are
 * implied; declare only what the CRD adds (usually `spec`). Unsupported keywords are rejected here
 * so that a schema cannot silently validate less than it appears to.
 */
export function registerSchema(apiVersion: string, kind: string, schema: JSONSchema): void {
  checkKeywords(schema, '#');
  const root = new SchemaNode([ENVELOPE, schema], schema);
  lookupCache.set(`${apiVersion} ${kind}`, obj => {
    const errors: SchemaError[] = [];
    walk(obj, root, [], errors, false);
    return errors;
  });
}

/** Fails (throws) with every schema error of every object listed. */
export function expectValidManifests(objs: readonly any[]): void {
  const errors = validateAll(objs);
  if (errors.length > 0) {
    throw new Error(`${errors.length} schema error(s) in ${objs.length} manifest(s):\n${errors.map(e => `  - ${e}`).join('\n')}`);
  }
}

declare global {
  namespace jest {
    interface Matchers<R> {
      /** `expect(manifests).toBeValidManifests()`: every object passes `validateObject`. */
      toBeValidManifests(): R;
    }
  }
}

if (typeof expect !== 'undefined') {
  expect.extend({
    toBeValidManifests(received: any) {
      const objs: any[] = Array.isArray(received) ? received : [received];
      const errors = validateAll(objs);
      return {
        pass: errors.length === 0,
        message: () => errors.length === 0
          ? `expected schema errors, but all ${objs.length} manifest(s) are valid`
          : `${errors.length} schema error(s):\n${errors.map(e => `  - ${e}`).join('\n')}`,
      };
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Shared plumbing
// ---------------------------------------------------------------------------------------------

type Seg = string | number;
interface SchemaError { path: Seg[]; keyword: string; message: string }
type Validator = (obj: any) => SchemaError[];

function isPlainObject(v: unknown): v is Record<string, any> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)}`;
  return `${typeof v} ${String(v)}`;
}

/** `spec.template.spec.containers[0].name`, `metadata.labels["app.kubernetes.io/name"]`. */
function renderPath(path: Seg[]): string {
  if (path.length === 0) return '(root)';
  let s = '';
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) s += s ? `.${seg}` : seg;
    else s += `[${JSON.stringify(seg)}]`;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Locating model classes (generic: package/group/version index, matched by static apiVersion+kind)
// ---------------------------------------------------------------------------------------------

const MODEL_PACKAGES = ['kubernetes-models', '@kubernetes-models/prometheus-operator', '@kubernetes-models/istio'];

/** Served versions whose schema equals an older packaged one (@kubernetes-models/istio@2 predates Istio's v1 APIs). */
const VERSION_ALIASES: Record<string, string> = {
  'networking.istio.io/v1': 'networking.istio.io/v1beta1',
  'security.istio.io/v1': 'security.istio.io/v1beta1',
};

/**
 * Top-level fields the packaged validators never read, because the model generator strips every
 * property named "description" from its schemas. Found by validating maximal objects built from
 * the packages' TypeScript interfaces for every supported kind; this was the only gap.
 */
const UNREAD_FIELDS: Record<string, Record<string, JSONSchemaType>> = {
  'scheduling.k8s.io/v1 PriorityClass': { description: 'string' },
};

interface ModelClass {
  apiVersion?: unknown;
  kind?: unknown;
  prototype: { validate?: (this: unknown) => void };
}

// Node's own require: the model packages are loaded once per worker, untransformed, and
// resolved through their package.json `exports` (`kubernetes-models/apps/v1` etc.).
const requireModels = createRequire(__filename);
const lookupCache = new Map<string, Validator | null>();
const moduleCache = new Map<string, Record<string, unknown> | null>();

// ---------------------------------------------------------------------------------------------
// Kubernetes' own kinds: the official OpenAPI definitions of the platform's Kubernetes version
// ---------------------------------------------------------------------------------------------

/**
 * The Kubernetes version whose official schema the built-in kinds are validated against: the
 * platform default (DEFAULT_KUBERNETES_VERSION), whose `_definitions.json` (from the cdk8s-team/cdk8s
 * repository, `kubernetes-schemas/v1.NN.0/`, committed under test/schemas/ unchanged) describes exactly
 * the API that version serves. kubernetes-models (4.5.1) describes a newer one and would accept
 * fields the cluster does not have.
 */
export const SCHEMA_KUBERNETES_VERSION = DEFAULT_KUBERNETES_VERSION;

interface OfficialSchemas {
  readonly root: JSONSchema;
  /** `apiVersion kind` -> definition name. */
  readonly byKind: ReadonlyMap<string, string>;
}

const officialCache = new Map<string, OfficialSchemas | null>();

/** The official definitions of `version` (`1.NN`), when committed under test/schemas/. */
export function officialSchemas(version: string = SCHEMA_KUBERNETES_VERSION): OfficialSchemas | null {
  let o = officialCache.get(version);
  if (o === undefined) {
    const file = nodePath.join(__dirname, '..', 'schemas', `kubernetes-v${version}.0.json`);
    if (!fs.existsSync(file)) {
      o = null;
    } else {
      const definitions = JSON.parse(fs.readFileSync(file, 'utf8')).definitions as Record<string, JSONSchema>;
      const byKind = new Map<string, string>();
      for (const [name, def] of Object.entries(definitions)) {
        for (const gvk of (def['x-kubernetes-group-version-kind'] as Array<{ group: string; version: string; kind: string }> | undefined) ?? []) {
          // A definition lists several GVKs only for meta types (DeleteOptions, WatchEvent); the kinds we emit have one.
          const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
          if (!byKind.has(`${apiVersion} ${gvk.kind}`)) byKind.set(`${apiVersion} ${gvk.kind}`, name);
        }
      }
      // The official Quantity is any string; Kubernetes parses it with this grammar (apimachinery
      // pkg/api/resource/quantity.go, "<signedNumber><suffix>"), so a misspelt quantity is caught here too.
      definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'] = {
        oneOf: [{ type: 'string', pattern: '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' }, { type: 'number' }],
      };
      o = { root: { definitions }, byKind };
    }
    officialCache.set(version, o);
  }
  return o;
}

/** A validator of `apiVersion kind` against the official definitions of `version`, or null. */
export function officialValidator(apiVersion: string, kind: string, version: string = SCHEMA_KUBERNETES_VERSION): Validator | null {
  const o = officialSchemas(version);
  const name = o?.byKind.get(`${apiVersion} ${kind}`);
  if (!o || !name) return null;
  const root = new SchemaNode([{ $ref: `#/definitions/${name}` }], o.root);
  return obj => {
    const errors: SchemaError[] = [];
    walk(obj, root, [], errors, false);
    return errors;
  };
}

/**
 * Validates a built-in kind against the official definitions of another Kubernetes version (e.g.
 * the oldest the default add-on pins support), strictly; `null` when that version's schema is not
 * committed or the kind is not one of Kubernetes' own.
 */
export function validateAtVersion(obj: any, version: string): string[] | null {
  const validator = officialValidator(obj?.apiVersion, obj?.kind, version);
  if (!validator) return null;
  const label = `${obj.kind}/${obj.metadata?.name ?? '<unnamed>'}`;
  return validator(obj).map(e => `${label}: ${renderPath(e.path)}: ${e.message}`);
}

function lookup(apiVersion: string, kind: string): Validator | null {
  const key = `${apiVersion} ${kind}`;
  let v = lookupCache.get(key);
  if (v === undefined) {
    v = officialValidator(apiVersion, kind);
    if (v) {
      lookupCache.set(key, v);
      return v;
    }
    const packaged = VERSION_ALIASES[apiVersion] ?? apiVersion;
    const cls = findModelClass(packaged, kind);
    v = cls ? modelValidator(cls, packaged === apiVersion ? undefined : packaged) : null;
    lookupCache.set(key, v);
  }
  return v;
}

function findModelClass(apiVersion: string, kind: string): ModelClass | undefined {
  for (const pkg of MODEL_PACKAGES) {
    // Each group/version is a subpath export: `<pkg>/apps/v1`, `<pkg>/v1` for the core group.
    const mod = loadModule(`${pkg}/${apiVersion}`);
    for (const exported of Object.values(mod ?? {})) {
      if (typeof exported !== 'function') continue;
      const cls = exported as unknown as ModelClass;
      if (cls.apiVersion === apiVersion && cls.kind === kind && typeof cls.prototype.validate === 'function') return cls;
    }
  }
  return undefined;
}

function loadModule(id: string): Record<string, unknown> | null {
  let mod = moduleCache.get(id);
  if (mod === undefined) {
    try {
      mod = requireModels(id) as Record<string, unknown>;
    } catch (e: any) {
      if (e?.code !== 'MODULE_NOT_FOUND' && e?.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw e;
      mod = null;
    }
    moduleCache.set(id, mod);
  }
  return mod;
}

// ---------------------------------------------------------------------------------------------
// Model-backed validation: the package's validator + property-access recording
// ---------------------------------------------------------------------------------------------

/** Per object: the keys the validator read, or ALL when it enumerated them (a map). */
const ALL = true;
type AccessLog = Map<object, Set<string> | typeof ALL>;

interface AjvError { instancePath: string; keyword: string; params?: Record<string, any> }

function modelValidator(cls: ModelClass, apiVersionOverride: string | undefined): Validator {
  const validate = cls.prototype.validate!;
  return (original: Record<string, any>) => {
    // Aliased versions are validated as the packaged version (its schema pins apiVersion by enum).
    const obj = apiVersionOverride ? { ...original, apiVersion: apiVersionOverride } : original;
    const log: AccessLog = new Map();
    const proxy = record(obj, log, new Map(), cls.prototype);
    let ajvErrors: AjvError[] = [];
    try {
      validate.call(proxy); // throws a ValidationError carrying ajv's `errors`
    } catch (e: any) {
      if (!Array.isArray(e?.errors)) throw e;
      ajvErrors = e.errors;
    }
    const errors = translateAjvErrors(ajvErrors, obj);
    for (const [key, type] of Object.entries(UNREAD_FIELDS[`${obj.apiVersion} ${obj.kind}`] ?? {})) {
      if (obj[key] === undefined) continue;
      (log.get(obj) as Set<string> | undefined)?.add(key);
      if (typeOf(obj[key]) !== type) errors.push({ path: [key], keyword: 'type', message: keywordMessage('type', { type }, obj[key]) });
    }
    findUnknownKeys(obj, [], log, errors);
    return errors;
  };
}

/**
 * A read-only view of `obj` that logs which keys are read (get/has/getOwnPropertyDescriptor) and
 * whether keys are enumerated (ownKeys, i.e. `for..in` over a map). Children are wrapped lazily
 * and memoized, so every object has one proxy per run. `proto` serves symbol-keyed lookups on the
 * root (@kubernetes-models/base@4 models keep their schema id on the class prototype).
 */
function record(obj: object, log: AccessLog, proxies: Map<object, object>, proto?: object): object {
  const existing = proxies.get(obj);
  if (existing) return existing;
  const isArray = Array.isArray(obj);
  const note = (key: string | symbol) => {
    if (isArray || typeof key !== 'string') return;
    const seen = log.get(obj);
    if (seen === undefined) log.set(obj, new Set([key]));
    else if (seen !== ALL) seen.add(key);
  };
  // Proxy invariants forbid substituting values of frozen properties, so frozen input gets a copy as target.
  const target: any = Object.isExtensible(obj) ? obj : isArray ? [...(obj as unknown[])] : { ...obj };
  const proxy = new Proxy(target, {
    get(t, key) {
      if (typeof key === 'symbol') return key in t || !proto ? t[key] : (proto as any)[key];
      note(key);
      const v = t[key];
      return v !== null && typeof v === 'object' ? record(v, log, proxies) : v;
    },
    has(t, key) {
      note(key);
      return key in t;
    },
    getOwnPropertyDescriptor(t, key) {
      note(key);
      return Reflect.getOwnPropertyDescriptor(t, key);
    },
    ownKeys(t) {
      if (!isArray) log.set(obj, ALL);
      return Reflect.ownKeys(t);
    },
    set: () => false,
    deleteProperty: () => false,
    defineProperty: () => false,
  });
  proxies.set(obj, proxy);
  return proxy;
}

function findUnknownKeys(node: unknown, path: Seg[], log: AccessLog, errors: SchemaError[]): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => findUnknownKeys(item, [...path, i], log, errors));
    return;
  }
  if (!isPlainObject(node)) return;
  const read = log.get(node);
  if (read === undefined) return; // never inspected by the schema: free-form
  for (const [key, value] of Object.entries(node)) {
    if (value === undefined) continue;
    if (read === ALL || read.has(key)) findUnknownKeys(value, [...path, key], log, errors);
    else errors.push({ path: [...path, key], keyword: 'unknown', message: 'unknown field' });
  }
}

/** JSON pointer -> segments, typed by the actual data (array index vs. object key). */
function pointerToPath(pointer: string, root: unknown): Seg[] {
  if (!pointer) return [];
  const path: Seg[] = [];
  let cur: any = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const seg: Seg = Array.isArray(cur) && /^\d+$/.test(key) ? Number(key) : key;
    path.push(seg);
    cur = cur?.[seg];
  }
  return path;
}

function valueAt(root: unknown, path: Seg[]): unknown {
  let cur: any = root;
  for (const seg of path) cur = cur?.[seg];
  return cur;
}

function translateAjvErrors(ajvErrors: AjvError[], root: unknown): SchemaError[] {
  const out: Array<SchemaError & { pointer: string }> = [];
  for (const e of ajvErrors) {
    const path = pointerToPath(e.instancePath, root);
    const params = e.params ?? {};
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf') {
      // The failed alternatives' errors precede the combinator's own error: fold them into one.
      const branch: SchemaError[] = [];
      const within = (p: string) => p === e.instancePath || p.startsWith(`${e.instancePath}/`);
      while (out.length > 0 && within(out[out.length - 1].pointer)) branch.unshift(out.pop()!);
      const folded = foldAlternatives(e.keyword, path, valueAt(root, path), branch, countPassing(params.passingSchemas));
      out.push(...folded.map(x => ({ ...x, pointer: e.instancePath })));
      continue;
    }
    if (e.keyword === 'required') {
      out.push({ pointer: `${e.instancePath}/${params.missingProperty}`, path: [...path, params.missingProperty], keyword: 'required', message: 'required field missing' });
    } else if (e.keyword === 'additionalProperties') {
      out.push({ pointer: e.instancePath, path: [...path, params.additionalProperty], keyword: 'unknown', message: 'unknown field' });
    } else {
      out.push({ pointer: e.instancePath, path, keyword: e.keyword, message: keywordMessage(e.keyword, params, valueAt(root, path)) });
    }
  }
  // ajv keeps checking format/enum/etc. after a type mismatch; the type error says it all.
  const mistyped = new Set(out.filter(e => e.keyword === 'type').map(e => e.pointer));
  return out
    .filter(e => e.keyword === 'type' || e.keyword === 'required' || !mistyped.has(e.pointer))
    .map(({ path, keyword, message }) => ({ path, keyword, message }));
}

function countPassing(passing: unknown): number {
  return Array.isArray(passing) ? passing.flat(Infinity).length : typeof passing === 'number' ? 1 : 0;
}

function keywordMessage(keyword: string, params: Record<string, any>, value: unknown): string {
  switch (keyword) {
    case 'type': return `must be ${[params.type].flat().join(' or ')} (got ${describe(value)})`;
    case 'enum': return `must be one of ${(params.allowedValues as unknown[]).map(v => JSON.stringify(v)).join(', ')} (got ${describe(value)})`;
    case 'const': return `must be ${JSON.stringify(params.allowedValue)} (got ${describe(value)})`;
    case 'format': return `must match format "${params.format}" (got ${describe(value)})`;
    case 'pattern': return `must match pattern ${params.pattern} (got ${describe(value)})`;
    case 'minLength': return `must be at least ${params.limit} characters long`;
    case 'maxLength': return `must be at most ${params.limit} characters long`;
    case 'minItems': return `must have at least ${params.limit} items`;
    case 'maxItems': return `must have at most ${params.limit} items`;
    case 'uniqueItems': return 'items must be unique';
    case 'minProperties': return `must have at least ${params.limit} entries`;
    case 'maxProperties': return `must have at most ${params.limit} entries`;
    case 'minimum': case 'maximum': case 'exclusiveMinimum': case 'exclusiveMaximum':
      return `must be ${params.comparison} ${params.limit} (got ${describe(value)})`;
    case 'not': return 'must not match the excluded schema';
    default: return `fails "${keyword}" ${JSON.stringify(params)}`;
  }
}

/**
 * One readable outcome for a failed anyOf/oneOf, given the errors of its alternatives:
 * "must be string or integer" when every alternative rejected the type; the errors of the only
 * alternative whose type fitted; otherwise a generic message.
 */
function foldAlternatives(keyword: string, path: Seg[], value: unknown, branch: SchemaError[], passing: number): SchemaError[] {
  const which = keyword === 'oneOf' ? 'exactly one' : 'at least one';
  if (passing > 1) return [{ path, keyword, message: `matches ${passing} alternatives, must match ${which}` }];
  const here = (e: SchemaError) => e.path.length === path.length;
  const deeper = branch.filter(e => !here(e) && e.keyword !== 'required');
  if (deeper.length > 0) return deeper;
  const typeErrors = branch.filter(e => here(e) && e.keyword === 'type');
  // Errors of alternatives whose type fitted. (ajv also checks int32/int64 formats after rejecting a
  // non-integer number by type; those belong to a type-rejected alternative.)
  const fitting = branch.filter(e => here(e) && e.keyword !== 'type' && !(e.keyword === 'format' && typeof value === 'number' && !Number.isInteger(value)));
  if (fitting.length > 0 && fitting.every(e => e.keyword !== keyword && e.keyword !== 'not')) return fitting;
  if (typeErrors.length > 0 && fitting.length === 0) {
    const types = [...new Set(typeErrors.map(e => /^must be (.*) \(got/.exec(e.message)?.[1] ?? e.message))];
    return [{ path, keyword: 'type', message: `must be ${types.join(' or ')} (got ${describe(value)})` }];
  }
  return [{ path, keyword, message: `must match ${which} of the allowed alternatives (${keyword})` }];
}

// ---------------------------------------------------------------------------------------------
// Registered schemas: a small JSON-schema walker with the same rules
// ---------------------------------------------------------------------------------------------

const OBJECT_META: JSONSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    generateName: { type: 'string' },
    namespace: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
    finalizers: { type: 'array', items: { type: 'string' } },
    ownerReferences: {
      type: 'array',
      items: {
        type: 'object',
        required: ['apiVersion', 'kind', 'name', 'uid'],
        properties: {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          name: { type: 'string' },
          uid: { type: 'string' },
          controller: { type: 'boolean' },
          blockOwnerDeletion: { type: 'boolean' },
        },
      },
    },
    uid: { type: 'string' },
    resourceVersion: { type: 'string' },
    generation: { type: 'integer', format: 'int64' },
    creationTimestamp: { type: 'string', nullable: true },
    deletionTimestamp: { type: 'string', nullable: true },
    deletionGracePeriodSeconds: { type: 'integer', format: 'int64' },
    managedFields: { type: 'array', items: { 'type': 'object', 'x-kubernetes-preserve-unknown-fields': true } },
    selfLink: { type: 'string' },
  },
};

/** Implied around every registered schema. */
const ENVELOPE: JSONSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata'],
  properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: OBJECT_META },
};

const ANNOTATION_KEYWORDS = new Set(['$schema', '$id', '$comment', 'title', 'description', 'default', 'example', 'examples']);
const SUPPORTED_KEYWORDS = new Set([
  'type', 'nullable', 'properties', 'additionalProperties', 'required', 'minProperties', 'maxProperties',
  'items', 'minItems', 'maxItems', 'uniqueItems', 'enum', 'const', 'format', 'pattern', 'minLength', 'maxLength',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'allOf', 'anyOf', 'oneOf', 'not', '$ref', 'definitions', '$defs',
]);

function checkKeywords(schema: JSONSchema, where: string): void {
  if (!isPlainObject(schema)) throw new Error(`registerSchema: ${where} is not a schema object`);
  for (const [kw, value] of Object.entries(schema)) {
    if (ANNOTATION_KEYWORDS.has(kw) || kw.startsWith('x-')) continue;
    if (!SUPPORTED_KEYWORDS.has(kw)) throw new Error(`registerSchema: unsupported keyword "${kw}" at ${where}`);
    if (kw === 'properties' || kw === 'definitions' || kw === '$defs') {
      for (const [name, sub] of Object.entries(value as Record<string, JSONSchema>)) checkKeywords(sub, `${where}/${kw}/${name}`);
    } else if (kw === 'allOf' || kw === 'anyOf' || kw === 'oneOf') {
      (value as JSONSchema[]).forEach((sub, i) => checkKeywords(sub, `${where}/${kw}/${i}`));
    } else if (kw === 'items' || kw === 'not' || (kw === 'additionalProperties' && typeof value === 'object')) {
      checkKeywords(value as JSONSchema, `${where}/${kw}`);
    } else if (kw === '$ref' && !(typeof value === 'string' && value.startsWith('#'))) {
      throw new Error(`registerSchema: only local "#/..." $refs are supported (${where})`);
    }
  }
}

/**
 * The schemas applying to one position in the document, with `$ref`s resolved and `allOf`s
 * flattened, so that properties declared by different allOf members merge (as in a structural
 * schema). Child nodes are built lazily and memoized.
 */
class SchemaNode {
  readonly schemas: JSONSchema[];
  /** Keys declared here, including by anyOf/oneOf alternatives (validated within the alternative). */
  readonly known = new Set<string>();
  readonly open: boolean;
  private readonly children = new Map<string, SchemaNode | null>();
  private readonly alternatives = new Map<JSONSchema, SchemaNode>();
  private additionalNode: SchemaNode | null | undefined;
  private itemsNode: SchemaNode | null | undefined;

  constructor(schemas: JSONSchema[], private readonly root: JSONSchema) {
    this.schemas = [];
    const add = (s: JSONSchema) => {
      if (this.schemas.includes(s)) return;
      this.schemas.push(s);
      if (s.$ref) add(resolveRef(root, s.$ref));
      s.allOf?.forEach(add);
    };
    schemas.forEach(add);
    const declare = (s: JSONSchema, seen: Set<JSONSchema>) => {
      if (seen.has(s)) return;
      seen.add(s);
      Object.keys(s.properties ?? {}).forEach(k => this.known.add(k));
      if (s.$ref) declare(resolveRef(root, s.$ref), seen);
      [...s.allOf ?? [], ...s.anyOf ?? [], ...s.oneOf ?? []].forEach(x => declare(x, seen));
    };
    const seenForDeclare = new Set<JSONSchema>();
    this.schemas.forEach(s => declare(s, seenForDeclare));
    const closed = this.schemas.some(s => s.additionalProperties === false);
    this.open = this.schemas.some(s => s['x-kubernetes-preserve-unknown-fields'] === true || s.additionalProperties === true)
      || (!closed && this.known.size === 0);
  }

  child(key: string): SchemaNode | null {
    let node = this.children.get(key);
    if (node === undefined) {
      const subs = this.schemas.flatMap(s => (s.properties && Object.prototype.hasOwnProperty.call(s.properties, key) ? [s.properties[key]] : []));
      node = subs.length > 0 ? new SchemaNode(subs, this.root) : null;
      this.children.set(key, node);
    }
    return node;
  }

  additional(): SchemaNode | null {
    if (this.additionalNode === undefined) {
      const subs = this.schemas.flatMap(s => (typeof s.additionalProperties === 'object' ? [s.additionalProperties] : []));
      this.additionalNode = subs.length > 0 ? new SchemaNode(subs, this.root) : null;
    }
    return this.additionalNode;
  }

  items(): SchemaNode | null {
    if (this.itemsNode === undefined) {
      const subs = this.schemas.flatMap(s => (s.items ? [s.items] : []));
      this.itemsNode = subs.length > 0 ? new SchemaNode(subs, this.root) : null;
    }
    return this.itemsNode;
  }

  alternative(s: JSONSchema): SchemaNode {
    let node = this.alternatives.get(s);
    if (!node) {
      node = new SchemaNode([s], this.root);
      this.alternatives.set(s, node);
    }
    return node;
  }
}

function resolveRef(root: JSONSchema, ref: string): JSONSchema {
  let cur: any = root;
  for (const raw of ref.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    cur = cur?.[decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  if (!isPlainObject(cur)) throw new Error(`registered schema: unresolvable $ref "${ref}"`);
  return cur as JSONSchema;
}

function typeOf(v: unknown): JSONSchemaType | 'other' {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'string': return 'string';
    case 'boolean': return 'boolean';
    case 'number': return Number.isInteger(v) ? 'integer' : Number.isFinite(v) ? 'number' : 'other';
    case 'object': return 'object';
    default: return 'other';
  }
}

function typeMatches(actual: JSONSchemaType | 'other', s: JSONSchema): boolean {
  if (s['x-kubernetes-int-or-string'] && (actual === 'integer' || actual === 'string')) return true;
  if (s.type === undefined) return !s['x-kubernetes-int-or-string'];
  const allowed = [s.type].flat();
  return allowed.includes(actual as JSONSchemaType) || (actual === 'integer' && allowed.includes('number'));
}

const FORMAT_RANGES: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

function walk(value: unknown, node: SchemaNode, path: Seg[], errors: SchemaError[], isAlternativeRoot: boolean): void {
  const actual = typeOf(value);
  const fail = (keyword: string, params: Record<string, any>) =>
    errors.push({ path, keyword, message: keywordMessage(keyword, params, value) });

  for (const s of node.schemas) {
    if (value === null && s.nullable) continue;
    if (!typeMatches(actual, s)) {
      const expected = s['x-kubernetes-int-or-string'] ? ['integer', 'string'] : [s.type ?? []].flat();
      fail('type', { type: expected });
      return; // nothing else is meaningful for a value of the wrong type
    }
  }
  if (value === null && node.schemas.some(s => s.nullable)) return;

  for (const s of node.schemas) {
    if (s.enum && !s.enum.some(x => deepEqual(x, value))) fail('enum', { allowedValues: s.enum });
    if ('const' in s && !deepEqual(s.const, value)) fail('const', { allowedValue: s.const });
    if (typeof value === 'string') {
      if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(value)) fail('pattern', { pattern: s.pattern });
      const len = [...value].length;
      if (s.minLength !== undefined && len < s.minLength) fail('minLength', { limit: s.minLength });
      if (s.maxLength !== undefined && len > s.maxLength) fail('maxLength', { limit: s.maxLength });
    }
    if (typeof value === 'number') {
      const range = s.format ? FORMAT_RANGES[s.format] : undefined;
      if (range && (value < range[0] || value > range[1])) fail('format', { format: s.format });
      if (s.minimum !== undefined && value < s.minimum) fail('minimum', { comparison: '>=', limit: s.minimum });
      if (s.maximum !== undefined && value > s.maximum) fail('maximum', { comparison: '<=', limit: s.maximum });
      if (s.exclusiveMinimum !== undefined && value <= s.exclusiveMinimum) fail('exclusiveMinimum', { comparison: '>', limit: s.exclusiveMinimum });
      if (s.exclusiveMaximum !== undefined && value >= s.exclusiveMaximum) fail('exclusiveMaximum', { comparison: '<', limit: s.exclusiveMaximum });
    }
    if (Array.isArray(value)) {
      if (s.minItems !== undefined && value.length < s.minItems) fail('minItems', { limit: s.minItems });
      if (s.maxItems !== undefined && value.length > s.maxItems) fail('maxItems', { limit: s.maxItems });
      if (s.uniqueItems && new Set(value.map(v => JSON.stringify(v))).size !== value.length) fail('uniqueItems', {});
    }
    if (isPlainObject(value)) {
      for (const req of s.required ?? []) {
        if (value[req] === undefined) errors.push({ path: [...path, req], keyword: 'required', message: 'required field missing' });
      }
      const n = Object.keys(value).length;
      if (s.minProperties !== undefined && n < s.minProperties) fail('minProperties', { limit: s.minProperties });
      if (s.maxProperties !== undefined && n > s.maxProperties) fail('maxProperties', { limit: s.maxProperties });
    }
    for (const keyword of ['anyOf', 'oneOf'] as const) {
      const alternatives = s[keyword];
      if (!alternatives) continue;
      const results = alternatives.map(alt => {
        const errs: SchemaError[] = [];
        walk(value, node.alternative(alt), path, errs, true);
        return errs;
      });
      const passing = results.filter(r => r.length === 0).length;
      if (keyword === 'anyOf' ? passing === 0 : passing !== 1) {
        errors.push(...foldAlternatives(keyword, path, value, results.flat(), passing));
      }
    }
    if (s.not) {
      const errs: SchemaError[] = [];
      walk(value, node.alternative(s.not), path, errs, true);
      if (errs.length === 0) fail('not', {});
    }
  }

  if (isPlainObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (child === undefined) continue;
      const sub = node.child(key) ?? (node.known.has(key) ? null : node.additional());
      if (sub) {walk(child, sub, [...path, key], errors, false);} else if (!node.open && !node.known.has(key) && !isAlternativeRoot) {
        errors.push({ path: [...path, key], keyword: 'unknown', message: 'unknown field' });
      }
    }
  } else if (Array.isArray(value)) {
    const items = node.items();
    if (items) value.forEach((item, i) => walk(item, items, [...path, i], errors, false));
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
