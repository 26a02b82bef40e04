import type { AlertState } from '../core/alert.model.js';
import { DEFAULT_LIST_LIMIT, type AlertOutbox, type DeliveryRecord, type DetectionRecord, type PriorEffects } from './alert-outbox.port.js';

const latestBy = <T>(rows: T[], key: (row: T) => string, revision: (row: T) => number): T[] => {
  const latest = new Map<string, T>();
  for (const row of rows) {
    const held = latest.get(key(row));
    if (held === undefined || revision(row) >= revision(held)) latest.set(key(row), row);
  }
  return [...latest.values()];
};

/**
 * The outbox in process memory, with the same semantics as the ClickHouse
 * adapter (append-only rows, newest revision wins). For unit specs and for
 * running the dispatcher where durability is not wanted; it does not survive
 * a restart.
 */
export class InMemoryAlertOutbox implements AlertOutbox {
  readonly alertRows: AlertState[] = [];
  readonly detectionRows: DetectionRecord[] = [];
  readonly deliveryRows: DeliveryRecord[] = [];

  async priorEffects(tenant: string, detectionId: string, deliveryIds: readonly string[]): Promise<PriorEffects> {
    const wanted = new Set(deliveryIds);
    return {
      detection_recorded: this.detectionRows.some((r) => r.detection.tenant === tenant && r.detection.detection_id === detectionId),
      stored_delivery_ids: new Set(this.deliveryRows.filter((d) => d.tenant === tenant && wanted.has(d.delivery_id)).map((d) => d.delivery_id)),
    };
  }

  async recordDetection(record: DetectionRecord): Promise<void> {
    this.detectionRows.push(structuredClone(record));
  }

  async latestAlert(tenant: string, groupKey: string): Promise<AlertState | null> {
    const alerts = this.alerts(tenant).filter((a) => a.group_key === groupKey);
    return alerts.reduce<AlertState | null>((best, a) => (best === null || a.episode > best.episode ? a : best), null);
  }

  async saveAlert(alert: AlertState): Promise<void> {
    this.alertRows.push(structuredClone(alert));
  }

  async enqueue(deliveries: DeliveryRecord[]): Promise<DeliveryRecord[]> {
    const known = new Set(this.deliveryRows.map((d) => d.delivery_id));
    const fresh = deliveries.filter((d) => !known.has(d.delivery_id));
    await this.appendDeliveries(fresh);
    return fresh;
  }

  async appendDeliveries(deliveries: DeliveryRecord[]): Promise<void> {
    this.deliveryRows.push(...deliveries.map((d) => structuredClone(d)));
  }

  async recordAttempt(delivery: DeliveryRecord): Promise<void> {
    this.deliveryRows.push(structuredClone(delivery));
  }

  async pendingDeliveries(): Promise<DeliveryRecord[]> {
    return this.deliveries().filter((d) => d.status === 'pending');
  }

  async listFailedDeliveries(tenant: string, limit = DEFAULT_LIST_LIMIT): Promise<DeliveryRecord[]> {
    return this.deliveries()
      .filter((d) => d.tenant === tenant && d.status === 'failed')
      .sort((a, b) => b.recorded_at_ms - a.recorded_at_ms)
      .slice(0, limit);
  }

  async listDeliveries(tenant: string, alertId: string): Promise<DeliveryRecord[]> {
    return this.deliveries()
      .filter((d) => d.tenant === tenant && d.alert_id === alertId)
      .sort((a, b) => a.created_at_ms - b.created_at_ms || a.delivery_id.localeCompare(b.delivery_id));
  }

  async deliveryHistory(tenant: string, deliveryId: string): Promise<DeliveryRecord[]> {
    return this.deliveryRows.filter((d) => d.tenant === tenant && d.delivery_id === deliveryId).sort((a, b) => a.revision - b.revision);
  }

  async listAlerts(tenant: string, limit = DEFAULT_LIST_LIMIT): Promise<AlertState[]> {
    return this.alerts(tenant)
      .sort((a, b) => b.updated_at_ms - a.updated_at_ms)
      .slice(0, limit);
  }

  async listDetections(tenant: string, alertId: string): Promise<DetectionRecord[]> {
    return this.detectionRows.filter((r) => r.detection.tenant === tenant && r.alert_id === alertId);
  }

  private alerts(tenant: string): AlertState[] {
    return latestBy(
      this.alertRows.filter((a) => a.tenant === tenant),
      (a) => a.alert_id,
      (a) => a.revision,
    );
  }

  private deliveries(): DeliveryRecord[] {
    return latestBy(this.deliveryRows, (d) => `${d.tenant}\u0000${d.delivery_id}`, (d) => d.revision);
  }
}
