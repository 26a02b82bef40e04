import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AlertingModule } from '@warden/alerting';
import { AuthModule } from '@warden/auth';
import { DetectionModule } from '@warden/detection';
import { IngestionModule } from '@warden/ingestion';
import { IntegrityModule } from '@warden/integrity';
import { ResponseModule } from '@warden/response';
import { ActionsController } from './actions/actions.controller.js';
import { RejectedEventsController } from './actions/rejected-events.controller.js';
import { ContainmentsController } from './containments/containments.controller.js';
import { AuditVerifyController } from './admin/audit-verify.controller.js';
import { KeysController } from './admin/keys.controller.js';
import { PermissionChangesController } from './permission-changes/permission-changes.controller.js';
import { AlertsController } from './detections/alerts.controller.js';
import { DetectionsController } from './detections/detections.controller.js';
import { EventsController } from './events/events.controller.js';
import { IngestMetricsController } from './events/ingest-metrics.controller.js';
import { HealthController } from './health/health.controller.js';
import { ProblemFilter } from './problem/problem.filter.js';

/** The HTTP API: routes, the access guard on every /v1 route, problem+json errors. */
@Module({
  imports: [AuthModule, IngestionModule, IntegrityModule, DetectionModule, ResponseModule, AlertingModule],
  controllers: [KeysController, PermissionChangesController, AuditVerifyController, EventsController, IngestMetricsController, DetectionsController, AlertsController, ContainmentsController, ActionsController, RejectedEventsController, HealthController],
  providers: [{ provide: APP_FILTER, useClass: ProblemFilter }],
})
export class ApiModule {}
