/**
 * Tag names ml-gitops writes on model versions. `register-model` sets them, `rollback` sets the rolled-back marker,
 * `evaluate-model` and `open-promotion-pr` read them. Kept in one place so every command agrees on the spelling.
 */

/** Identifies one registration (model name, source, run id, commit): a re-run finds and reuses its version. */
export const IDEMPOTENCY_KEY_TAG = 'ml-gitops.idempotency-key';

/** Set to `true` by `rollback` on a version taken out of service; `register-model` refuses to register or alias it. */
export const ROLLED_BACK_TAG = 'ml-gitops.rolled-back';
export const ROLLED_BACK_VALUE = 'true';

/** Lineage: where the version came from. Only the ones whose value is known are set. */
export const LINEAGE_TAGS = {
  commit: 'ml-gitops.commit',
  repository: 'ml-gitops.repository',
  workflowRunUrl: 'ml-gitops.workflow-run-url',
  actor: 'ml-gitops.actor',
  event: 'ml-gitops.event',
} as const;

/** The decision (`promote` / `reject`) of the evaluation report given to `register-model`. */
export const EVALUATION_DECISION_TAG = 'evaluation.decision';

/** `metric.<key>` tags hold a metric of the version as a number; they take precedence over the run's metrics. */
export const METRIC_TAG_PREFIX = 'metric.';

/** Tags under this prefix belong to ml-gitops; users cannot set them through the `tags` input. */
export const RESERVED_TAG_PREFIX = 'ml-gitops.';

export function metricTag(metric: string): string {
  return `${METRIC_TAG_PREFIX}${metric}`;
}

export function isRolledBack(tags: Readonly<Record<string, string>>): boolean {
  return tags[ROLLED_BACK_TAG]?.trim().toLowerCase() === ROLLED_BACK_VALUE;
}

/**
 * The metrics held in `metric.<key>` tags: every such tag whose value is a finite number. Other values are ignored,
 * so a free-text tag that happens to start with `metric.` never breaks a comparison.
 */
export function metricsFromTags(tags: Readonly<Record<string, string>>): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const key of Object.keys(tags).sort()) {
    if (!key.startsWith(METRIC_TAG_PREFIX) || key.length === METRIC_TAG_PREFIX.length) continue;
    const raw = (tags[key] ?? '').trim();
    const value = raw === '' ? Number.NaN : Number(raw);
    if (Number.isFinite(value)) metrics[key.slice(METRIC_TAG_PREFIX.length)] = value;
  }
  return metrics;
}
