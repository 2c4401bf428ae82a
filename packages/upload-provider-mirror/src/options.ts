import { z } from 'upload-provider';
import { type ProviderSpec, specProblems, specShapeProblem } from './specs.js';

const spec = z
  .unknown()
  .superRefine((value, ctx) => {
    const problem = specShapeProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform((value) => value as ProviderSpec);

export const mirrorOptionsSchema = z
  .object({
    /** Where reads, URLs and direct uploads come from; every upload and delete goes here first. */
    primary: spec,
    /** Providers that receive a copy of every upload and every delete. */
    mirrors: z.array(spec, { error: 'mirrors must be a list of providers' }).min(1, 'give at least one mirror'),
    /** `strict`: an upload succeeds only when every provider stored it. `best-effort`: only the primary must. */
    mode: z.enum(['strict', 'best-effort'], { error: 'mode must be "strict" or "best-effort"' }).default('strict'),
    /** Best-effort mode: the file where failed mirror writes are recorded for `repair()`. */
    repairLog: z.string().min(1, 'repairLog must be a file path').optional(),
    /** Where provider packages and relative paths are resolved from. Default: the working directory. */
    cwd: z.string().min(1, 'cwd must be a folder path').optional(),
  })
  .strict()
  .superRefine((options, ctx) => {
    if (options.mode === 'best-effort' && options.repairLog === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['repairLog'],
        message: 'is required in best-effort mode: the file where failed mirror writes are kept for repair()',
      });
    }
    const cwd = options.cwd ?? process.cwd();
    const problems = [
      ...specProblems(options.primary, 'primary', cwd),
      ...options.mirrors.flatMap((m, i) => specProblems(m, `mirrors.${i}`, cwd)),
    ];
    for (const p of problems) ctx.addIssue({ code: 'custom', path: p.option.split('.'), message: p.message });
  });

export type MirrorOptions = z.input<typeof mirrorOptionsSchema>;
export type ResolvedMirrorOptions = z.output<typeof mirrorOptionsSchema>;
