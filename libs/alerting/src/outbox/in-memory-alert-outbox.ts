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

  async priorEffects(tenant: string, detectionIds: readonly string[], deliveryIds: readonly string[]): Promise<PriorEffects> {
    const detections = new Set(detectionIds);
    const deliveries = new Set(deliveryIds);
    return {
      recorded_detection_ids: new Set(this.detectionRows.filter((r) => r.detection.tenant === tenant && detections.has(r.detection.detection_id)).map((r) => r.detection.detection_id)),
      stored_delivery_ids: new Set(this.deliveryRows.filter((d) => d.tenant === tenant && deliveries.has(d.delivery_id)).map((d) => d.delivery_id)),
    };
  }

  async recordDetections(records: DetectionRecord[]): Promise<void> {
    this.detectionRows.push(...records.map((r) => structuredClone(r)));
  }

  async latestAlerts(tenant: string, groupKeys: readonly string[]): Promise<Map<string, AlertState>> {
    const wanted = new Set(groupKeys);
    const latest = new Map<string, AlertState>();
    for (const a of this.alerts(tenant)) {
      if (!wanted.has(a.group_key)) continue;
      const held = latest.get(a.group_key);
      if (held === undefined || a.episode > held.episode) latest.set(a.group_key, a);
    }
    return latest;
  }

  async saveAlerts(alerts: AlertState[]): Promise<void> {
    this.alertRows.push(...alerts.map((a) => structuredClone(a)));
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

  async recordAttempts(deliveries: DeliveryRecord[]): Promise<void> {
    this.deliveryRows.push(...deliveries.map((d) => structuredClone(d)));
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
