#!/usr/bin/env node
// Verifies dutytrail's signed CloudEvents with nothing but Node's built-ins (Node 20+).
// What is signed and how: docs/contract.md, "Verifying events".
//
//   dutytrail keys export keys/                                  # keys/responsibility.pub, ...
//   dutytrail events responsibility --from 1 > events.jsonl      # one CloudEvent per line
//   node docs/examples/verify-events.mjs keys/responsibility.pub events.jsonl
//   dutytrail events responsibility --from 1 | node docs/examples/verify-events.mjs keys/responsibility.pub
//
// Prints one line per event ("ok" or "FAILED" with the reason) and exits 0 only if every
// event verified (1 if any failed, 2 on a usage error).

import { createHash, createPublicKey, verify } from "node:crypto";
import { createReadStream, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const PAYLOAD_TYPE = "https://cloudevents.io/verifiability/dsse/v0.1";
// The core attributes, in the order the extension hashes them (always signed).
const CORE = ["id", "source", "specversion", "type", "datacontenttype", "dataschema", "subject", "time"];
// The extension attributes every dutytrail event must list in signedextattrs.
const ALWAYS_SIGNED = ["sequence", "prevsequence", "recordedtime", "dataclassification"];
const NOT_LISTABLE = new Set([...CORE, "dssematerial", "signedextattrs"]);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const sha256 = (bytes) => createHash("sha256").update(bytes).digest();

// RFC 8785 (JCS): keys sorted by UTF-16 code units (JavaScript's default sort), no
// whitespace, strings and numbers as JSON.stringify prints them.
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

// DSSE's pre-authentication encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body.
function pae(type, body) {
  const kind = Buffer.from(type, "utf8");
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${kind.length} `), kind, Buffer.from(` ${body.length} `), body,
  ]);
}

function text(event, name) {
  if (typeof event[name] !== "string") throw new Error(`attribute ${name} is not a string`);
  return event[name];
}

// RFC 3339 in UTC to the second, as the extension hashes `time`.
function normalizedTime(value) {
  if (!RFC3339.test(value)) throw new Error(`time ${JSON.stringify(value)} is not RFC 3339`);
  return `${new Date(value).toISOString().slice(0, 19)}Z`;
}

// SHA-256 over the SHA-256 of each core attribute (an absent one counts as empty), of the
// data's canonical JSON, and of each signed extension attribute's name and value.
function verificationMaterial(event, signed) {
  const digests = [];
  for (const name of CORE) {
    if (!(name in event)) digests.push(sha256(Buffer.alloc(0)));
    else if (name === "time") digests.push(sha256(normalizedTime(text(event, name))));
    else digests.push(sha256(Buffer.from(text(event, name), "utf8")));
  }
  digests.push(sha256("data" in event ? Buffer.from(canonical(event.data), "utf8") : Buffer.alloc(0)));
  for (const name of signed) {
    if (!(name in event)) throw new Error(`signed attribute ${name} is missing`);
    digests.push(sha256(Buffer.from(name, "utf8")), sha256(Buffer.from(text(event, name), "utf8")));
  }
  return sha256(Buffer.concat(digests));
}

function signedList(event) {
  const raw = event.signedextattrs ?? "";
  if (typeof raw !== "string") throw new Error("signedextattrs is not a string");
  const names = raw === "" ? [] : raw.split(",");
  if (new Set(names).size !== names.length) throw new Error("signedextattrs repeats an attribute");
  if (names.some((n) => n === "" || NOT_LISTABLE.has(n))) throw new Error("signedextattrs lists a core attribute");
  const unsigned = ALWAYS_SIGNED.filter((n) => !names.includes(n));
  if (unsigned.length) throw new Error(`${unsigned.join(", ")} not signed`);
  return names;
}

export function keyFingerprint(key) {
  const raw = Buffer.from(key.export({ format: "jwk" }).x, "base64url");
  return sha256(raw).toString("hex").slice(0, 16);
}

// Throws with the reason if `event` is not signed by `key` or was altered after signing.
export function verifyEvent(event, key, fingerprint) {
  if (!event.dssematerial) throw new Error("not signed (no dssematerial)");
  let envelope;
  try {
    envelope = JSON.parse(Buffer.from(event.dssematerial, "base64").toString("utf8"));
  } catch {
    throw new Error("dssematerial is not a DSSE envelope");
  }
  if (envelope.payloadType !== PAYLOAD_TYPE) throw new Error(`unknown payloadType ${envelope.payloadType}`);
  const payload = Buffer.from(envelope.payload ?? "", "base64");
  const service = String(event.source ?? "").split("/").pop();
  const keyid = `${service}:${fingerprint}`;
  const message = pae(PAYLOAD_TYPE, payload);
  const signed = (envelope.signatures ?? []).some((s) => {
    try {
      return s.keyid === keyid && verify(null, message, key, Buffer.from(s.sig, "base64"));
    } catch {
      return false; // a signature that is not even Ed25519-shaped
    }
  });
  if (!signed) throw new Error(`no valid signature by ${keyid}`);
  if (payload.length !== 32) throw new Error("the signed material is not a SHA-256 digest");
  if (!payload.equals(verificationMaterial(event, signedList(event)))) {
    throw new Error("altered after it was signed");
  }
}

async function main() {
  const [keyFile, eventsFile] = process.argv.slice(2);
  if (!keyFile) {
    console.error("usage: node verify-events.mjs PUBLIC_KEY.pem [EVENTS.jsonl]  (stdin without a file)");
    return 2;
  }
  const key = createPublicKey(readFileSync(keyFile));
  const fingerprint = keyFingerprint(key);
  const input = eventsFile ? createReadStream(eventsFile) : process.stdin;
  let verified = 0;
  let failed = 0;
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line += 1;
    if (!text.trim()) continue;
    let event = {};
    try {
      event = JSON.parse(text);
      verifyEvent(event, key, fingerprint);
      verified += 1;
      console.log(`ok      ${event.sequence} ${event.type} ${event.id}`);
    } catch (error) {
      failed += 1;
      console.log(`FAILED  line ${line} ${event.sequence ?? ""} ${event.id ?? ""}: ${error.message}`);
    }
  }
  console.log(`${verified} verified, ${failed} failed`);
  return failed === 0 && verified > 0 ? 0 : 1;
}

// Run as a script; imported (subscribe.mjs), it only lends verifyEvent and keyFingerprint.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
