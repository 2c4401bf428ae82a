// A node:test reporter (`--test-reporter`) that prints the run's summary as one JSON document for the CLI.
import { SummaryBuilder } from './summary.js';

export default async function* conformanceReporter(
  source: AsyncIterable<{ type: string; data: Record<string, unknown> }>,
): AsyncGenerator<string> {
  const builder = new SummaryBuilder();
  for await (const event of source) builder.add(event as Parameters<SummaryBuilder['add']>[0]);
  yield `${JSON.stringify(builder.summary())}\n`;
}
