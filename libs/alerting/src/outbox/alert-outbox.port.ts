import type { Detection } from '@warden/detection';
import type { SinkType } from '../config/alerting-config.schema.js';
import type { AlertAction, AlertNotification, AlertState, DetectionOutcome } from '../core/alert.model.js';

/** When the detection's trigger event happened and when Warden received it; both RFC 3339. */
export interface DetectionTiming {
  occurred_at: string;
  ingested_at: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/**
 * One notification to one sink, in its latest state. Every state change is
 * a new record with a higher `revision`; the store keeps them all (the
 * attempt history) and answers with the newest.
 */
export interface DeliveryRecord {
  delivery_id: string;
  tenant: string;
  alert_id: string;
  group_key: string;
  sink: string;
  sink_type: SinkType;
  action: AlertAction;
  status: DeliveryStatus;
  revision: number;
  /** HTTP attempts made so far. */
  attempt: number;
  /** A `DELIVERY.*` code; null until something failed. */
  error_code: string | null;
  last_error: string | null;
  last_status_code: number | null;
  /** Epoch ms; meaningful while pending. */
  next_attempt_at_ms: number;
  created_at_ms: number;
  recorded_at_ms: number;
  /** When the receiver acknowledged (2xx), epoch ms. */
  dispatched_at_ms: number | null;
  /** Timing of the detection behind a trigger, for latency; null for resolves. */
  timing: DetectionTiming | null;
  notification: AlertNotification;
}

/** A detection as alerting received it, with what became of its notification. */
export interface DetectionRecord {
  detection: Detection;
  alert_id: string;
  outcome: DetectionOutcome;
  received_at_ms: number;
  timing: DetectionTiming;
}

export interface PriorEffects {
  /** Those of the asked detections that are recorded. */
  recorded_detection_ids: ReadonlySet<string>;
  /** Those of the asked deliveries that are stored. */
  stored_delivery_ids: ReadonlySet<string>;
}

/**
 * Where alert state, received detections and the delivery outbox live.
 * Tenant-scoped reads take the tenant; `pendingDeliveries` spans tenants
 * because the dispatcher resumes everyone's deliveries on start. The
 * dispatcher accepts a batch's detections together, so the reads and writes
 * on its path take many at once: one statement each, however many.
 */
export interface AlertOutbox {
  /**
   * What detections already left in the outbox, in one read: which of them
   * were recorded, and which of the given deliveries are stored. Outside a
   * crash's replay both are empty.
   */
  priorEffects(tenant: string, detectionIds: readonly string[], deliveryIds: readonly string[]): Promise<PriorEffects>;
  recordDetections(records: DetectionRecord[]): Promise<void>;
  /** Each given group's newest alert (open or resolved), by group key; groups without one are absent. */
  latestAlerts(tenant: string, groupKeys: readonly string[]): Promise<Map<string, AlertState>>;
  /** Alert states in order: a later state of the same alert after an earlier one. */
  saveAlerts(alerts: AlertState[]): Promise<void>;
  /** Stores the deliveries that are not stored yet and returns those: the ones the caller should send. */
  enqueue(deliveries: DeliveryRecord[]): Promise<DeliveryRecord[]>;
  /** Stores deliveries the caller has just seen missing (priorEffects, under the group's lock). */
  appendDeliveries(deliveries: DeliveryRecord[]): Promise<void>;
  /** Appends deliveries' new states (each revision higher than the one stored), in one write. */
  recordAttempts(deliveries: DeliveryRecord[]): Promise<void>;
  pendingDeliveries(): Promise<DeliveryRecord[]>;
  /** Deliveries that will not be tried again, newest first. */
  listFailedDeliveries(tenant: string, limit?: number): Promise<DeliveryRecord[]>;
  /** Latest state of the alert's deliveries, oldest first. */
  listDeliveries(tenant: string, alertId: string): Promise<DeliveryRecord[]>;
  /** Every state a delivery went through, oldest first. */
  deliveryHistory(tenant: string, deliveryId: string): Promise<DeliveryRecord[]>;
  /** Latest state of the tenant's alerts, most recently updated first. */
  listAlerts(tenant: string, limit?: number): Promise<AlertState[]>;
  /** Every detection counted in the alert, suppressed ones included, in order of receipt. */
  listDetections(tenant: string, alertId: string): Promise<DetectionRecord[]>;
}

export const DEFAULT_LIST_LIMIT = 100;
