import { Inject, Injectable, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { DomainError, retry } from '@warden/common';
import { WARDEN_CONFIG, type KafkaIngestConfig, type WardenConfig } from '@warden/config';
import { LOGGER, type Logger, Readiness, SpanKind, contextFromHeaders, inSpan } from '@warden/telemetry';
import { trace } from '@opentelemetry/api';
import { type Admin, type Consumer, type EachBatchPayload, Kafka, Partitioners, type Producer, logLevel } from 'kafkajs';
import { IngestMetrics } from '../metrics/ingest-metrics.js';
import { IngestService } from '../pipeline/ingest.service.js';
import type { DeadLetter } from './dead-letter.js';
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
  return !(
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof SyntaxError ||
    error instanceof ReferenceError
  );
}

/**
 * Consumes the agent-actions topic in a consumer group and feeds the same
 * validate → store path as HTTP. Per partition: a fetched batch is cut into
 * chunks of at most batchMaxEvents; each chunk's events are stored and its
 * bad messages dead-lettered, and only then is its offset committed. While
 * storage (or the DLQ) fails, the partition is paused and the chunk retried
 * with capped backoff; nothing is committed past it.
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
    const log = logger.child({ component: 'kafka' });
    this.kafka = new Kafka({
      clientId: this.config.clientId,
      brokers: this.config.brokers,
      sasl: this.config.sasl,
      logLevel: logLevel.WARN,
      logCreator: () => ({ level, log: entry }) => {
        const { message, ...rest } = entry;
        if (level <= logLevel.ERROR) log.error(rest, message);
        else log.warn(rest, message);
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

  /** SIGTERM: let the in-flight chunk finish and commit, then leave the group. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.lagTimer);
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
    for (let start = 0; start < batch.messages.length; start += max) {
      if (!isRunning() || isStale()) return;
      const messages = batch.messages.slice(start, start + max);
      this.metrics.recordReceived('kafka', messages.length);
      // A chunk continues the trace of its first traced message and links the others (OTel messaging batches).
      const traced = messages.map((m) => contextFromHeaders(m.headers)).filter((c) => c !== null);
      await inSpan(
        'kafka.consume',
        { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.kafka.partition': partition, 'messaging.batch.message_count': messages.length },
        () => this.processChunk(messages, topic, partition, heartbeat, isRunning, isStale, resolveOffset),
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
    const lag = Number(BigInt(batch.highWatermark) - BigInt(batch.lastOffset()) - 1n);
    this.metrics.recordLag(topic, partition, Math.max(0, lag));
  }

  private async processChunk(
    messages: EachBatchPayload['batch']['messages'],
    topic: string,
    partition: number,
    heartbeat: EachBatchPayload['heartbeat'],
    isRunning: EachBatchPayload['isRunning'],
    isStale: EachBatchPayload['isStale'],
    resolveOffset: EachBatchPayload['resolveOffset'],
  ): Promise<void> {
    const chunk = await this.triage.run(messages, { topic, partition }, new Date());
    this.metrics.recordRedactions(chunk.redactions);
    let paused = false;
    await retry({
      policy: this.warden.retry,
      isRetriable: isRetriableIngestError,
      shouldContinue: () => isRunning() && !isStale(),
      onRetry: async (error, attempt, delayMs) => {
        this.metrics.recordStorageFailure();
        if (!paused) {
          this.consumer?.pause([{ topic, partitions: [partition] }]);
          paused = true;
        }
        this.logger.warn(
          { topic, partition, attempt, retry_in_ms: delayMs, err: { message: (error as Error).message } },
          'storing a chunk failed; partition paused, retrying',
        );
        await heartbeat();
      },
      onRecovered: (attempts) => {
        this.logger.info({ topic, partition, attempts }, 'storage is back; partition resumed');
      },
      task: async () => {
        await Promise.all([this.writeDeadLetters(chunk.deadLetters), this.ingest.store(chunk.events, { followers: 'queued' })]);
      },
    }).finally(() => {
      if (paused) this.consumer?.resume([{ topic, partitions: [partition] }]);
    });
    for (const reason of chunk.deadLetterReasons) this.metrics.recordRejected('kafka', reason);
    this.metrics.recordStored(0, chunk.repeats);
    // Stored (and dead-lettered) durably: only now may the group's offset move past these messages.
    await this.consumer?.commitOffsets([{ topic, partition, offset: chunk.nextOffset }]);
    this.committedHere.set(partition, BigInt(chunk.nextOffset));
    resolveOffset(messages[messages.length - 1].offset);
    await heartbeat();
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
