#!/usr/bin/env node
// A dutytrail subscriber in Node (20+): joins one service's events at any position and hands
// over from history to live with no gap and no duplicate, verifying every event's signature
// (docs/subscribing.md has the recipe; shared/subscription.py is the same in Python).
//
//   docs/examples/install.sh                       # amqplib, pinned, into docs/examples/node_modules
//   dutytrail keys export keys/                    # keys/responsibility.pub
//   export DUTYTRAIL_TOKEN=$(dutytrail token issue --person ... --unit ... --role subscriber)
//   node docs/examples/subscribe.mjs --service responsibility --http http://127.0.0.1:8100 \
//     --amqp amqp://guest:guest@127.0.0.1:5672/ --key keys/responsibility.pub \
//     --queue my-system.responsibility --after 0
//
// The handler here prints each event as one JSON line on stdout; a real one applies it and
// stores its `sequence` with what it changed, and passes that position as --after when it
// starts again. Options for scripts and tests: --idle SECONDS (stop after that long without
// an event), --stop-after N (exit at once after N events, as if the process were killed).
// --queue-type quorum declares a quorum queue (for a broker cluster) instead of a classic one.

import { createPublicKey } from "node:crypto";
import { readFileSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import amqp from "amqplib";
import { keyFingerprint, verifyEvent } from "./verify-events.mjs";

// Positions are 20-digit strings; the first event's prevsequence is "" (position 0).
const position = (text) => (text ? BigInt(text) : 0n);

// A word as a shell reads it back, quoted only when it has to be.
const shellWord = (text) => (/^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\"'\"'")}'`);

// A durable classic queue, or (--queue-type quorum) a quorum queue for a broker cluster. A
// queue the broker already holds as the other type cannot change type in place: it is kept,
// with a warning; nothing waits in it that the history does not hold.
async function declareQueue(connection, channel, queue, queueType, vhost) {
  const attempt = await connection.createChannel();
  attempt.on("error", () => {}); // a refused declaration closes this channel, not the process
  try {
    await attempt.assertQueue(queue, {
      durable: true, autoDelete: false, arguments: { "x-queue-type": queueType },
    });
    await attempt.close();
  } catch (error) {
    if (error.code !== 406) throw error; // 406: PRECONDITION_FAILED, the other type
    await channel.checkQueue(queue);
    console.error(`${queue} is kept as the broker has it, not a ${queueType} queue (${error.message}). ` +
      `To move it: stop this subscriber, delete the queue (rabbitmqctl delete_queue -p ${shellWord(vhost)} ${shellWord(queue)}) ` +
      "and start it again from its recorded position; the history brings what the queue held.");
  }
}

export async function subscribe({ service, httpUrl, amqpUrl, token, queue, queueType = "classic", after, key, handler, idleMs }) {
  const fingerprint = keyFingerprint(key);
  const verified = (event) => {
    if (event.source !== `/dutytrail/${service}`) throw new Error(`not from ${service}`);
    verifyEvent(event, key, fingerprint);
    return event;
  };
  let pos = BigInt(after);
  const handle = async (event) => {
    const sequence = position(event.sequence);
    if (sequence <= pos) return; // seen already (in the history, or redelivered)
    await handler(event);
    pos = sequence;
  };
  // GET /events pages (docs/openapi.yaml); next_after moves past positions hidden from us.
  const catchUp = async (target) => {
    for (;;) {
      const response = await fetch(`${httpUrl}/events?after=${pos}&limit=500`, {
        headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
      });
      if (!response.ok) throw new Error(`GET /events answered ${response.status}: ${(await response.json()).error}`);
      const page = await response.json();
      for (const event of page.events) await handle(verified(event));
      if (BigInt(page.next_after) > pos) pos = BigInt(page.next_after);
      if (!page.more || (target !== undefined && pos >= target)) return;
    }
  };

  // 1. Bind first: everything published from now on waits in our queue.
  const connection = await amqp.connect(amqpUrl);
  const channel = await connection.createChannel();
  await channel.checkExchange(`${service}.events`);
  // The virtual host is the URL's path, "/" when it has none (the AMQP URI spec).
  const path = new URL(amqpUrl).pathname;
  const vhost = path.length > 1 ? decodeURIComponent(path.slice(1)) : "/";
  await declareQueue(connection, channel, queue, queueType, vhost);
  await channel.bindQueue(queue, `${service}.events`, "#");
  await channel.prefetch(100);
  // 2. The history.
  await catchUp();
  // 3. Live, one message at a time, in order; a gap is paged before going on.
  let chain = Promise.resolve();
  let stopping = false;
  let lastSeen = Date.now();
  const finished = new Promise((resolve, reject) => {
    channel.consume(queue, (message) => {
      chain = chain.then(async () => {
        if (stopping || message === null) return;
        lastSeen = Date.now();
        let event;
        try {
          event = verified(JSON.parse(message.content.toString("utf8")));
        } catch (error) {
          console.error(`refused ${message.fields.routingKey}: ${error.message}`);
          channel.reject(message, false);
          return;
        }
        const sequence = position(event.sequence);
        if (sequence > pos && position(event.prevsequence) !== pos) await catchUp(sequence);
        await handle(event);
        channel.ack(message);
      }).catch((error) => {
        stopping = true;
        reject(error);
      });
    }, { noAck: false });
    if (idleMs !== undefined) {
      const timer = setInterval(() => {
        if (Date.now() - lastSeen >= idleMs) {
          stopping = true;
          clearInterval(timer);
          chain.then(resolve, reject);
        }
      }, 100);
    }
  });
  try {
    await finished;
  } finally {
    await connection.close(); // whatever was not acknowledged stays in the queue
  }
  return pos;
}

async function main() {
  const { values } = parseArgs({
    options: {
      service: { type: "string" }, http: { type: "string" }, amqp: { type: "string" },
      key: { type: "string" }, queue: { type: "string" }, after: { type: "string", default: "0" },
      idle: { type: "string" }, "stop-after": { type: "string" },
      "queue-type": { type: "string", default: "classic" },
    },
  });
  const missing = ["service", "http", "amqp", "key", "queue"].filter((name) => !values[name]);
  const token = (process.env.DUTYTRAIL_TOKEN ?? "").replace(/^Bearer /, "").trim();
  if (missing.length || !token || !/^\d+$/.test(values.after) || !["classic", "quorum"].includes(values["queue-type"])) {
    console.error(`usage: subscribe.mjs --service S --http URL --amqp URL --key PEM --queue Q [--queue-type classic|quorum] [--after N] [--idle SECONDS] [--stop-after N], DUTYTRAIL_TOKEN set${missing.length ? ` (missing ${missing.join(", ")})` : ""}`);
    return 2;
  }
  const stopAfter = values["stop-after"] ? Number(values["stop-after"]) : Infinity;
  let handled = 0;
  const position = await subscribe({
    service: values.service, httpUrl: values.http.replace(/\/$/, ""), amqpUrl: values.amqp, token,
    queue: values.queue, queueType: values["queue-type"], after: values.after, key: createPublicKey(readFileSync(values.key)),
    idleMs: values.idle ? Number(values.idle) * 1000 : undefined,
    handler: async (event) => {
      writeSync(1, `${JSON.stringify(event)}\n`); // synchronous: nothing lost at exit
      handled += 1;
      if (handled >= stopAfter) process.exit(0); // stopped mid-stream, unacknowledged
    },
  });
  console.error(`position ${position}`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
