import { Kafka, logLevel } from 'kafkajs';

export interface GroupLag {
  /** Messages between the group's committed offsets and the partitions' ends. */
  total: number;
  per_partition: Record<string, number>;
  /** Sum of the partitions' end offsets (what was produced to the topic, when it started empty). */
  end_offsets: number;
  committed: number;
}

/** The consumer group's lag on a topic from the broker's committed offsets (what a restart would redeliver). */
export async function groupLag(brokers: string[], groupId: string, topic: string): Promise<GroupLag> {
  const admin = new Kafka({ clientId: 'bench-lag', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    const result: GroupLag = { total: 0, per_partition: {}, end_offsets: 0, committed: 0 };
    for (const p of ends) {
      const high = Number(p.high);
      const low = Number(p.low);
      const c = at.get(p.partition) ?? -1;
      const from = c < 0 ? low : c;
      result.per_partition[String(p.partition)] = high - from;
      result.total += high - from;
      result.end_offsets += high;
      result.committed += from;
    }
    return result;
  } finally {
    await admin.disconnect();
  }
}

/** Best effort: the scenario's own topics, so repeated runs do not fill the broker's disk. */
export async function deleteTopics(brokers: string[], topics: string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'bench-cleanup', brokers, logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const mine = topics.filter((t) => existing.has(t));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine, timeout: 10_000 });
  } catch (error) {
    console.warn(`could not delete ${topics.join(', ')}: ${String(error)}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
