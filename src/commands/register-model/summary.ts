/** The job summary of a registration: model, version (linked to the registry's UI), URI, alias and tags. */
import { markdownTable } from '../../lib/report.ts';
import type { RegistrationResult } from './register.ts';

export interface SummaryFacts {
  result: RegistrationResult;
  modelUri: string;
  registryLocation: string;
  /** The version's page in the registry UI (MLflow), when there is one. */
  versionUrl: string | undefined;
  /** The version's JSON file (file registry), when there is one. */
  versionFile: string | undefined;
  stage: string | undefined;
}

export function registrationSummary(facts: SummaryFacts): string {
  const { result } = facts;
  const { version } = result;
  const code = (text: string): string => `\`${text.replace(/`/g, "'")}\``;
  const versionCell = facts.versionUrl !== undefined ? `[${version.version}](${facts.versionUrl})` : version.version;
  const rows: string[][] = [
    ['Model', code(version.name)],
    ['Version', versionCell + (result.created ? ' (new)' : ' (already registered; reused)')],
    ['Model URI', code(facts.modelUri)],
    ['Status', version.status],
    ['Source', code(version.source)],
    ['Alias', result.alias === undefined ? '—' : code(result.alias)],
    ['Registry', facts.versionFile !== undefined ? `file registry, ${code(facts.versionFile)}` : facts.registryLocation],
  ];
  if (facts.stage !== undefined) rows.push(['Stage (legacy)', facts.stage]);
  const tags = Object.entries(version.tags)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => [code(key), value]);
  return [
    `### ${result.created ? 'Registered' : 'Reused'} ${code(version.name)} version ${version.version}`,
    '',
    markdownTable(['', ''], rows),
    '',
    '#### Tags',
    '',
    tags.length === 0 ? '_none_' : markdownTable(['Tag', 'Value'], tags),
    '',
  ].join('\n');
}
