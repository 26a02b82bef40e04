// Rules: schema, loading, building in code.
export { ruleSchema, checkRule, defineRule, type Rule, type RuleInput, type RuleOf, type RuleIssue, type RuleCheck } from './rules/rule.schema.js';
export { severitySchema, ruleKindSchema, type Severity, type RuleKind } from './rules/rule-common.schema.js';
export { loadRules, parseRuleFile, type RuleSet, type RuleLoadError, type LoadedRule } from './rules/rule-loader.js';
export { conditionSchema, type Condition, type Scalar } from './condition/condition.schema.js';
export { compileCondition, type EventPredicate } from './condition/condition.compiler.js';
export { thresholdParamsSchema, type ThresholdParams } from './rule-kinds/threshold/threshold.schema.js';
export { sequenceParamsSchema, type SequenceParams } from './rule-kinds/sequence/sequence.schema.js';
export { matchParamsSchema, type MatchParams } from './rule-kinds/match/match.schema.js';
export { firstSeenParamsSchema, type FirstSeenParams } from './rule-kinds/first-seen/first-seen.schema.js';
export { permissionWideningParamsSchema, type PermissionWideningParams } from './rule-kinds/permission-widening/permission-widening.schema.js';

// The engine and what it emits.
export {
  DetectionEngine,
  DEFAULT_ENGINE_LIMITS,
  type DetectionEngineDeps,
  type EngineLimits,
  type EvaluationResult,
  type WarmUpResult,
  type ReloadResult,
  type Lookback,
  type RuleError,
} from './engine/detection-engine.js';
export { detectionSchema, groupKey, detectionId, MAX_EVIDENCE_IDS, type Detection } from './detection/detection.schema.js';

// The history port (implemented over ClickHouse elsewhere).
export { ACTION_HISTORY_PORT, type ActionHistoryPort, type PriorQuestion } from './history/action-history.port.js';
export { InMemoryActionHistory } from './history/in-memory-action-history.js';

export { RULE_LOAD_ERROR, EVALUATION_ERROR, InvalidRuleError, HistoryUnavailableError, type RuleLoadErrorCode, type EvaluationErrorCode } from './detection.errors.js';

// Wiring into Warden: ClickHouse adapters, the service in the ingest path, its module.
export { DETECTION_MIGRATIONS } from './adapters/detection.migrations.js';
export { ClickHouseActionHistory } from './adapters/clickhouse-action-history.js';
export { DetectionRepository, detectionQuerySchema, type DetectionQuery, type StoredDetection } from './adapters/detection.repository.js';
export { DetectionService, shippedRulesDir, type RulesStatus } from './service/detection.service.js';
export type { DetectionContext, DetectionListener, ListenerTiming } from './service/detection-listeners.js';
export { DETECTION_REPOSITORY } from './service/detection.di-tokens.js';
export { DetectionModule } from './service/detection.module.js';
