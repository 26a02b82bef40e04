import { Kafka, Partitioners, logLevel } from 'kafkajs';

/** The principal id of a line, as the message key, so one principal's events stay on one partition. */
function keyOf(line: string): string | null {
  try {
    const id = (JSON.parse(line) as { principal?: { id?: unknown } }).principal?.id;
    return typeof id === 'string' ? id : null;
  } catch {
    return null;
  }
}

/** Publishes lines as they are (valid or not: the ingestor decides), in acknowledged batches. */
export async function produceLines(
  brokers: string[],
  topic: string,
  lines: string[],
  sasl?: { mechanism: 'plain'; username: string; password: string },
): Promise<number> {
  const producer = new Kafka({ clientId: 'warden-cli', brokers, sasl, logLevel: logLevel.ERROR }).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    for (let i = 0; i < lines.length; i += 1000) {
      await producer.send({
        topic,
        acks: -1,
        messages: lines.slice(i, i + 1000).map((value) => ({ key: keyOf(value), value })),
      });
    }
    return lines.length;
  } finally {
    await producer.disconnect();
  }
}
