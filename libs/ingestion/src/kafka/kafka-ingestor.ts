import { Inject, Injectable, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { DomainError, isProgrammingError, retry } from '@warden/common';
import { WARDEN_CONFIG, type KafkaIngestConfig, type WardenConfig } from '@warden/config';
import { LOGGER, type Logger, Readiness, SpanKind, contextFromHeaders, inSpan } from '@warden/telemetry';
import { trace } from '@opentelemetry/api';
import { type Admin, type Consumer, type EachBatchPayload, Kafka, Partitioners, type Producer, logLevel } from 'kafkajs';
import { IngestMetrics } from '../metrics/ingest-metrics.js';
import { IngestService } from '../pipeline/ingest.service.js';
import type { DeadLetter } from './dead-letter.js';
import { OffsetCommitter } from './offset-committer.js';
import { OrderedAcknowledger } from './ordered-acknowledger.js';
import { TriagePool } from './triage-pool.js';

export const INGEST_FATAL_HANDLER = Symbol('INGEST_FATAL_HANDLER');
/** Called when the ingestor meets an error it must not retry: the process should drain and exit. */
export type IngestFatalHandler = (error: unknown) => void;

/** How often the group's lag is read from the broker (committed offsets against each partition's end). */
const LAG_REFRESH_MS = 2_000;

export class DeadLetterWriteError extends DomainError {
  readonly code = 'INGEST.DLQ_WRITE_FAILED';
}

/** JavaScript faults are bugs: retrying them would loop forever on the same bytes. Everything else is I/O. */
export function isRetriableIngestError(error: unknown): boolean {
  return !isProgrammingError(error);
}

/**
 * Consumes the agent-actions topic in a consumer group and feeds the same
 * validate → store path as HTTP. Per partition: a fetched batch is cut into
 * chunks of at most batchMaxEvents; each chunk's events are stored and its
 * bad messages dead-lettered, and only then is its offset committed. Chunks
 * are stored in the background while the consumer fetches on (kafkajs would
 * otherwise wait for every store before its next fetch), up to a bound, and
 * each partition's offsets are committed in order (OrderedAcknowledger).
 * While storage (or the DLQ) fails, the partition is paused and the chunk
 * retried with capped backoff; nothing is committed past it.
 */
@Injectable()
export class KafkaIngestor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly kafka: Kafka;
  private consumer?: Consumer;
  private producer?: Producer;
  private admin?: Admin;
  private lagTimer?: NodeJS.Timeout;
  private readingLag = false;
  /** Offsets this process committed, so a lag read that raced a commit never reports the older one. */
  private readonly committedHere = new Map<number, bigint>();
  private readonly config: KafkaIngestConfig;
  private readonly triage: TriagePool;
  /** Chunks stored side by side, committed per partition in offset order. */
  private readonly acks: OrderedAcknowledger;
  /** The offsets of all partitions that moved, in one request per round trip. */
  private readonly committer = new OffsetCommitter((offsets) =>
    this.consumer ? this.consumer.commitOffsets(offsets.map((o) => ({ topic: this.config.topic, ...o }))) : Promise.resolve(),
  );
  /** Per partition, how many of its chunks are retrying a failed store (it is paused meanwhile). */
  private readonly retrying = new Map<number, number>();
  private stopping = false;
  private consuming = false;

  constructor(
    @Inject(WARDEN_CONFIG) private readonly warden: WardenConfig,
    @Inject(IngestService) private readonly ingest: IngestService,
    @Inject(IngestMetrics) private readonly metrics: IngestMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(INGEST_FATAL_HANDLER) private readonly onFatal: IngestFatalHandler,
    @Inject(Readiness) readiness: Readiness,
  ) {
    readiness.register('kafka', async () =>
      this.consuming ? { ok: true } : { ok: false, error: this.stopping ? 'stopping' : 'the consumer is not running (see logs)' },
    );
    if (!warden.kafka) throw new Error('KafkaIngestor needs WARDEN_KAFKA_BROKERS');
    this.config = warden.kafka;
    this.triage = new TriagePool(this.config.triageWorkers);
    this.acks = new OrderedAcknowledger({
      // As much as the partitions consumed at once hold in their chunks: one fetch is being stored while the next is read.
      maxInFlightEvents: this.config.batchMaxEvents * this.config.partitionsConcurrency,
      acknowledge: (partition, nextOffset) => this.commit(partition, nextOffset),
      onFailure: (partition, error) => this.onChunkFailed(partition, error),
    });
    const log = logger.child({ component: 'kafka' });
    this.kafka = new Kafka({
      clientId: this.config.clientId,
      brokers: this.config.brokers,
      sasl: this.config.sasl,
      // INFO says when the consumer joins, leaves or rejoins its group: what a stalled partition's story starts from.
      logLevel: logLevel.INFO,
      logCreator: () => ({ level, log: entry }) => {
        const { message, ...rest } = entry;
        if (level <= logLevel.ERROR) log.error(rest, message);
        else if (level === logLevel.WARN) log.warn(rest, message);
        else log.info(rest, message);
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const c = this.config;
    if (c.createTopics) await this.ensureTopics();
    this.producer = this.kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await this.producer.connect();
    this.consumer = this.kafka.consumer({
      groupId: c.groupId,
      maxWaitTimeInMs: c.batchMaxWaitMs,
      maxBytes: c.bufferMaxBytes,
      maxBytesPerPartition: Math.max(1024 * 1024, Math.floor(c.bufferMaxBytes / 4)),
      retry: {
        retries: 5,
        // kafkajs restarts the consumer after a failed batch unless told otherwise: only a retriable fault may restart it.
        restartOnFailure: async (error) => {
          const again = !this.stopping && isRetriableIngestError(error);
          if (!again) this.onFatal(error);
          return again;
        },
      },
    });
    this.consumer.on(this.consumer.events.CRASH, () => {
      this.consuming = false;
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.consuming = true;
    });
    this.consumer.on(this.consumer.events.STOP, () => {
      this.consuming = false;
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: c.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: c.partitionsConcurrency,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.admin = this.kafka.admin();
    await this.admin.connect();
    this.lagTimer = setInterval(() => void this.refreshLag(), LAG_REFRESH_MS);
    this.lagTimer.unref();
    this.logger.info({ topic: c.topic, group: c.groupId, brokers: c.brokers }, 'kafka ingest started');
  }

  /**
   * The group's real lag: what is on each partition beyond the group's
   * committed offset. The figure taken from a fetch (below) is only as fresh
   * as that fetch, and misses what arrives while a chunk is being stored.
   */
  private async refreshLag(): Promise<void> {
    if (this.readingLag || this.stopping || !this.admin) return;
    this.readingLag = true;
    try {
      const { topic, groupId } = this.config;
      const [ends, [committed]] = await Promise.all([this.admin.fetchTopicOffsets(topic), this.admin.fetchOffsets({ groupId, topics: [topic] })]);
      const committedBy = new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      for (const end of ends) {
        const broker = committedBy.get(end.partition) ?? -1n;
        const here = this.committedHere.get(end.partition) ?? -1n;
        const done = broker > here ? broker : here;
        // No commit yet: the group starts from the beginning, so all that is retained is lag.
        const from = done < 0n ? BigInt(end.low) : done;
        const lag = BigInt(end.high) - from;
        this.metrics.recordLag(topic, end.partition, Number(lag > 0n ? lag : 0n));
      }
    } catch (error) {
      this.logger.debug({ err: { message: (error as Error).message } }, 'reading the consumer lag failed; trying again');
    } finally {
      this.readingLag = false;
    }
  }

  /** SIGTERM: stop reading, let the chunks in flight finish and commit, then leave the group. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.lagTimer);
    // Commits need the group membership, so the consumer stays in the group (paused) until they are done.
    try {
      this.consumer?.pause([{ topic: this.config.topic }]);
    } catch (error) {
      this.logger.debug({ err: { message: (error as Error).message } }, 'pausing the consumer for shutdown failed');
    }
    await this.acks.drain();
    await this.consumer?.disconnect();
    await this.ingest.drainFollowers();
    await this.triage.close();
    await this.admin?.disconnect();
    await this.producer?.disconnect();
    this.logger.info('kafka ingest stopped');
  }

  private async handleBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const max = this.config.batchMaxEvents;
    const cancelled = () => this.stopping || !isRunning() || isStale();
    for (let start = 0; start < batch.messages.length; start += max) {
      if (cancelled()) return;
      const messages = batch.messages.slice(start, start + max);
      // The chunk is stored in the background; the consumer fetches on meanwhile, and
      // the acknowledger commits the offset once this chunk and those before it are stored.
      const started = await this.acks.start(partition, messages.length, () => this.storeChunk(messages, topic, partition, heartbeat, isRunning, isStale), {
        keepAlive: heartbeat,
        cancelled,
      });
      if (!started) return;
      this.metrics.recordReceived('kafka', messages.length);
      // Read on past the chunk: nothing is committed here (autoCommit is off), only the fetch position moves.
      resolveOffset(messages[messages.length - 1].offset);
    }
    const lag = Number(BigInt(batch.highWatermark) - BigInt(batch.lastOffset()) - 1n);
    this.metrics.recordLag(topic, partition, Math.max(0, lag));
  }

  /** decode → validate → store (and dead-letter), retried while storage fails; resolves with the offset to commit. */
  private storeChunk(
    messages: EachBatchPayload['batch']['messages'],
    topic: string,
    partition: number,
    heartbeat: EachBatchPayload['heartbeat'],
    isRunning: EachBatchPayload['isRunning'],
    isStale: EachBatchPayload['isStale'],
  ): Promise<string> {
    // A chunk continues the trace of its first traced message and links the others (OTel messaging batches).
    const traced = messages.map((m) => contextFromHeaders(m.headers)).filter((c) => c !== null);
    return inSpan(
      'kafka.consume',
      { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.kafka.partition': partition, 'messaging.batch.message_count': messages.length },
      async () => {
        const chunk = await this.triage.run(messages, { topic, partition }, new Date());
        this.metrics.recordRedactions(chunk.redactions);
        let paused = false;
        await retry({
          policy: this.warden.retry,
          isRetriable: isRetriableIngestError,
          shouldContinue: () => !this.stopping && isRunning() && !isStale(),
          onRetry: async (error, attempt, delayMs) => {
            this.metrics.recordStorageFailure();
            if (!paused) this.pauseForRetry(topic, partition);
            paused = true;
            this.logger.warn(
              { topic, partition, attempt, retry_in_ms: delayMs, err: error },
              'storing a chunk failed; partition paused, retrying',
            );
            // The chunk outlives its batch: once kafkajs has moved on, this heartbeat may be refused, and the next fetch sends one anyway.
            await heartbeat().catch(() => {});
          },
          onRecovered: (attempts) => {
            this.logger.info({ topic, partition, attempts }, 'storage is back; partition resumed');
          },
          task: async () => {
            await Promise.all([this.writeDeadLetters(chunk.deadLetters), this.ingest.store(chunk.events, { followers: 'queued' })]);
          },
        }).finally(() => {
          if (paused) this.resumeAfterRetry(topic, partition);
        });
        for (const reason of chunk.deadLetterReasons) this.metrics.recordRejected('kafka', reason);
        this.metrics.recordStored(0, chunk.repeats);
        return chunk.nextOffset;
      },
      {
        kind: SpanKind.CONSUMER,
        parent: traced[0],
        links: traced.slice(1, 128).flatMap((c) => {
          const spanContext = trace.getSpanContext(c);
          return spanContext ? [{ context: spanContext }] : [];
        }),
      },
    );
  }

  /** Stored (and dead-lettered) durably, with every chunk before it: only now may the group's offset move past these messages. */
  private async commit(partition: number, nextOffset: string): Promise<void> {
    try {
      await this.committer.commit(partition, nextOffset);
      const committed = BigInt(nextOffset);
      if (committed > (this.committedHere.get(partition) ?? -1n)) this.committedHere.set(partition, committed);
    } catch (error) {
      // Offsets are cumulative: the partition's next commit covers this one; at worst the chunk is redelivered and found stored.
      this.logger.warn({ partition, offset: nextOffset, err: { message: (error as Error).message } }, 'committing an offset failed');
    }
  }

  private onChunkFailed(partition: number, error: unknown): void {
    if (isRetriableIngestError(error)) {
      // Only given up because the consumer stops, restarts or was moved: the partition is read again from its committed offset.
      this.logger.info({ partition, err: { message: (error as Error).message } }, 'a chunk was left unstored; it will be read again');
      return;
    }
    this.acks.halt();
    this.onFatal(error);
  }

  /** Chunks of one partition retry side by side: it stays paused until the last of them is stored. */
  private pauseForRetry(topic: string, partition: number): void {
    const retrying = this.retrying.get(partition) ?? 0;
    this.retrying.set(partition, retrying + 1);
    if (retrying === 0) this.consumer?.pause([{ topic, partitions: [partition] }]);
  }

  private resumeAfterRetry(topic: string, partition: number): void {
    if (this.stopping) return;
    const retrying = this.retrying.get(partition) ?? 1;
    if (retrying > 1) {
      this.retrying.set(partition, retrying - 1);
      return;
    }
    this.retrying.delete(partition);
    this.consumer?.resume([{ topic, partitions: [partition] }]);
  }

  private async writeDeadLetters(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0 || !this.producer) return;
    try {
      await this.producer.send({ topic: this.config.dlqTopic, acks: -1, messages: letters });
    } catch (error) {
      throw new DeadLetterWriteError(`writing ${letters.length} dead letters failed`, {}, { cause: error });
    }
  }

  private async ensureTopics(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = [this.config.topic, this.config.dlqTopic].filter((t) => !existing.has(t));
      if (missing.length > 0) {
        await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: 6 })), waitForLeaders: true });
        this.logger.info({ topics: missing }, 'created kafka topics');
      }
    } finally {
      await admin.disconnect();
    }
  }
}
