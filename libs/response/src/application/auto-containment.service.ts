import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { WARDEN_CONFIG, type WardenConfig } from '@warden/config';
import { type Detection, DetectionService } from '@warden/detection';
import { LOGGER, type Logger } from '@warden/telemetry';
import { AutoContainmentPolicy, type AutoContainDecision } from './auto-containment.policy.js';
import { ContainmentService } from './containment.service.js';

/** Detections whose rule says auto_contain issue ContainPrincipal themselves, attributed to the rule. */
@Injectable()
export class AutoContainmentService implements OnModuleInit {
  private readonly policy: AutoContainmentPolicy;
  private readonly recentDecisions: (AutoContainDecision & { at: string; containment_id?: string; error?: string })[] = [];

  constructor(
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
    @Inject(DetectionService) private readonly detection: DetectionService,
    @Inject(ContainmentService) private readonly containments: ContainmentService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const a = config.response.autoContain;
    this.policy = new AutoContainmentPolicy(a.mode, a.maxPerWindow, a.windowMs);
  }

  /**
   * Before any bootstrap: detection's, after a restart, re-evaluates what was
   * stored after its checkpoint, and those detections must reach automation
   * too. A repeat is harmless: the idempotency key names the group's containment.
   */
  onModuleInit(): void {
    this.detection.addListener('auto-containment', (detections) => this.onDetections(detections), { on: 'raised' });
  }

  /** The last decisions (at most 200), for the API: what automation did, or would have done. */
  decisions(tenant: string): typeof this.recentDecisions {
    return this.recentDecisions.filter((d) => d.candidate.tenant === tenant);
  }

  private async onDetections(detections: Detection[]): Promise<void> {
    for (const d of detections) {
      const decision = this.policy.decide(
        { tenant: d.tenant, principal: d.principal_id, ruleId: d.rule_id, groupKey: d.group_key, autoContain: d.auto_contain },
        Date.now(),
      );
      if (decision.action === 'skip' && decision.reason === 'rule-not-automatic') continue;
      const record: (typeof this.recentDecisions)[number] = { ...decision, at: new Date().toISOString() };
      if (decision.action === 'contain') {
        try {
          const { containment } = await this.containments.contain({
            tenant: d.tenant,
            principal: d.principal_id,
            reason: `automatic: rule ${d.rule_id} (${d.title}) on event ${d.trigger_event_id}`,
            requested_by: `rule:${d.rule_id}`,
            idempotency_key: `auto:${d.group_key}`,
          });
          record.containment_id = containment.containment_id;
        } catch (error) {
          record.error = (error as Error).message;
        }
      }
      this.logger.warn({ rule_id: d.rule_id, tenant: d.tenant, principal: d.principal_id, decision: decision.action, containment_id: record.containment_id }, 'automatic containment decision');
      this.recentDecisions.push(record);
      if (this.recentDecisions.length > 200) this.recentDecisions.shift();
    }
  }
}
