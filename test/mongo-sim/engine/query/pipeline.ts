// Aggregation pipelines through mingo on query views; results are retyped against the input
// document with the same _id (so $match/$project/$sort/... keep exact types) or against the
// pipeline's literals.
import { Aggregator } from 'mingo/aggregator';
import type { Document } from 'bson';
import { canonicalKey } from '../bson/keys';
import { SIM_CONTEXT } from './comparison';
import type { CollationSpec } from 'mingo/types';
import { collectTypedValues, retypeDoc, toAggregationView, toView } from '../bson/typed-view';
import { withTypedRun, type TypedRun } from './exact-expressions';
import { isPlainDocument } from '../bson/values';
import { commandError, ErrorCodes } from '../errors';
import { validateJsonSchema } from './json-schema';

/** Resolves a collection or view name of the same database to typed documents. */
export type CollectionSource = (name: string) => Document[];

/** Stages that write or need server facilities mingo cannot provide. */
const REFUSED_STAGES = new Set(['$out', '$merge']);

export function stageName(stage: unknown): string {
  if (!isPlainDocument(stage)) {
    throw commandError(ErrorCodes.TypeMismatch, 'Each element of the \'pipeline\' array must be an object');
  }
  const keys = Object.keys(stage);
  if (keys.length !== 1) {
    throw commandError(40323, 'A pipeline stage specification object must contain exactly one field.');
  }
  return keys[0];
}

function pipelineError(e: unknown): Error {
  if (e instanceof Error && 'code' in e) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const unknownStage = /(?:unknown|unregistered|invalid) pipeline operator[:\s]+'?(\$\w+)/i.exec(msg);
  if (unknownStage) return commandError(40324, `Unrecognized pipeline stage name: '${unknownStage[1]}'`);
  const unknownExpr = /(?:unknown|unregistered|invalid)[\w\s]*operator[:\s]+'?(\$\w+)/i.exec(msg);
  if (unknownExpr) return commandError(168, `Unrecognized expression '${unknownExpr[1]}'`);
  return commandError(ErrorCodes.BadValue, msg);
}

/** Checks stage shapes and refuses stages the simulator does not run. */
export function validatePipeline(pipeline: unknown[]): void {
  for (const stage of pipeline) {
    const name = stageName(stage);
    if (REFUSED_STAGES.has(name)) {
      throw commandError(ErrorCodes.IllegalOperation, `${name} is not supported by the simulator`);
    }
  }
}

/**
 * The values of a command's `let` variables: each is an expression evaluated once, before the
 * command runs, with no document in scope (so `{$literal: '$x'}` is the string '$x').
 */
export function evaluateLet(variables: Document | undefined): Document | undefined {
  if (variables === undefined || Object.keys(variables).length === 0) return variables;
  const [values] = runPipeline([{}], [{ $set: variables }], () => []);
  const out: Document = {};
  for (const name of Object.keys(variables)) out[name] = values[name] ?? null;
  return out;
}

/** Runs a pipeline over typed input documents and returns typed output documents. */
export function runPipeline(
  input: Document[],
  pipeline: Document[],
  resolve: CollectionSource,
  variables?: Document,
  collation?: Document,
): Document[] {
  validatePipeline(pipeline);
  if (pipeline.length === 0) return input;
  const byId = new Map<string, Document>();
  const run: TypedRun = { roots: new WeakMap(), computed: new Map(), pool: collectTypedValues(pipeline) };
  const views = input.map((d) => {
    if (d._id !== undefined) byId.set(canonicalKey(d._id), d);
    const view = toAggregationView(d) as Document;
    run.roots.set(view, d);
    return view;
  });
  const viewCache = new Map<string, Document[]>();
  let output: Document[];
  try {
    // the pipeline's containers are registered with their typed sources, for typing literals
    const aggregator = new Aggregator(toView(pipeline, true, true) as Record<string, unknown>[], {
      collectionResolver: (name: string) => {
        let docs = viewCache.get(name);
        if (!docs) {
          const typed = resolve(name);
          for (const d of typed) if (d._id !== undefined && !byId.has(canonicalKey(d._id))) byId.set(canonicalKey(d._id), d);
          docs = typed.map((d) => {
            const view = toAggregationView(d) as Document;
            run.roots.set(view, d);
            return view;
          });
          viewCache.set(name, docs);
        }
        return docs;
      },
      jsonSchemaValidator: (schema: Record<string, unknown>) => (doc: unknown) => validateJsonSchema(schema, doc).length === 0,
      variables: variables ? (toAggregationView(variables) as Record<string, unknown>) : undefined,
      context: SIM_CONTEXT,
      ...(collation ? { collation: collation as CollationSpec } : {}),
    });
    output = withTypedRun(run, () => aggregator.run(views) as Document[]);
  } catch (e) {
    throw pipelineError(e);
  }
  const numberType = (n: number): unknown => run.computed.get(n);
  return output.map((doc) => {
    // a view that kept its identity (or a $group output) has its typed source in the run's roots
    const source = run.roots.get(doc) ?? (doc._id !== undefined ? byId.get(canonicalKey(doc._id)) : undefined);
    return retypeDoc(doc, source, { pool: run.pool, numberType, documentById: (id) => byId.get(canonicalKey(id)) });
  });
}
