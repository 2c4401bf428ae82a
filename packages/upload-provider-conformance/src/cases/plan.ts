import type { Capabilities, UploadProvider } from 'upload-provider';
import type { CaseContext, ConformanceCase, ConformanceOptions, Enforcement } from '../options.js';

export type Ctx = CaseContext<UploadProvider>;
export type Case = ConformanceCase<UploadProvider>;

/** What the cases are chosen from: the provider's declared shape and what its backend enforces. */
export interface SuiteShape {
  options: ConformanceOptions<UploadProvider>;
  capabilities: Capabilities;
  isPrivate: boolean;
  enforce: Required<Enforcement>;
  largeFileBytes: number;
}

/** A case (or a whole group, without `name`) that does not apply, and why. */
export interface SkippedCase {
  group: string;
  name?: string;
  reason: string;
}

export interface Plan {
  cases: Case[];
  skipped: SkippedCase[];
}

/** Collects one group's cases; `when` runs a case or records why it was left out. */
export function group(name: string) {
  const plan: Plan = { cases: [], skipped: [] };
  const test = (title: string, run: (ctx: Ctx) => Promise<void>) => {
    plan.cases.push({ group: name, name: title, run });
  };
  const skip = (title: string, reason: string) => {
    plan.skipped.push({ group: name, name: title, reason });
  };
  return {
    plan,
    test,
    skip,
    when(condition: boolean, reason: string, title: string, run: (ctx: Ctx) => Promise<void>) {
      if (condition) test(title, run);
      else skip(title, reason);
    },
  };
}

/** The group's plan when `condition` holds; otherwise the whole group is skipped for `reason`. */
export function gate(condition: boolean, name: string, reason: string, plan: () => Plan): Plan {
  return condition ? plan() : { cases: [], skipped: [{ group: name, reason }] };
}

export function merge(plans: Plan[]): Plan {
  return { cases: plans.flatMap((p) => p.cases), skipped: plans.flatMap((p) => p.skipped) };
}
