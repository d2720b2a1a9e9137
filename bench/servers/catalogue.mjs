// What the h2, precompressed and compress servers share: the 16 KiB JSON answer, and the files
// run.mjs makes for each run (a certificate, the static JS file and its .br and .gz), passed in the environment.
import { json } from "./common.mjs";
import { sequence } from "./sequence.mjs";

const adjectives = ["compact", "durable", "wireless", "ergonomic", "refurbished", "organic", "stainless", "foldable", "waterproof", "classic", "slim", "heavy-duty"];
const nouns = ["kettle", "desk lamp", "backpack", "keyboard", "water bottle", "headphones", "notebook", "chair", "umbrella", "blender", "monitor stand", "tent"];
const categories = ["kitchen", "office", "outdoor", "audio", "furniture", "travel"];
const tags = ["new", "sale", "eco", "bestseller", "limited", "gift", "bundle", "clearance"];
const warehouses = ["Lyon", "Rotterdam", "Leipzig", "Porto", "Gdańsk"];

/** The catalogue page the compress scenario answers: about 16 KiB as 4-space JSON (what vshs and the peers send). */
export function catalogue() {
    const random = sequence(0x5eed);
    const pick = (list) => list[Math.floor(random() * list.length)];
    const items = [];
    const page = { page: 1, perPage: 0, total: 0, currency: "EUR", items };
    for (let id = 1; json(page).length < 16 * 1024 - 420; id++) {
        const name = `${pick(adjectives)} ${pick(nouns)}`;
        items.push({
            id,
            sku: `SKU-${(100000 + Math.floor(random() * 900000)).toString(36).toUpperCase()}`,
            name,
            category: pick(categories),
            price: Math.round(500 + random() * 25000) / 100,
            inStock: random() > 0.2,
            tags: [pick(tags), pick(tags)].filter((tag, index, all) => all.indexOf(tag) === index),
            rating: { average: Math.round(20 + random() * 30) / 10, count: Math.floor(random() * 2000) },
            warehouse: pick(warehouses),
            updatedAt: new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 300 * 86400) * 1000).toISOString(),
        });
        page.perPage = items.length;
        page.total = items.length * 37;
    }
    return page;
}

/** The certificate and key files run.mjs made for the h2 servers. */
export function tlsFiles() {
    const cert = process.env.VSHS_BENCH_TLS_CERT;
    const key = process.env.VSHS_BENCH_TLS_KEY;
    if (!cert || !key) throw new Error("VSHS_BENCH_TLS_CERT and VSHS_BENCH_TLS_KEY must name the PEM files (run.mjs makes them)");
    return { cert, key };
}

/** The folder holding static/app.js and its .br and .gz siblings, made by run.mjs. */
export function precompressedRoot() {
    const root = process.env.VSHS_BENCH_PRECOMPRESSED;
    if (!root) throw new Error("VSHS_BENCH_PRECOMPRESSED must name the folder of the precompressed fixture (run.mjs makes it)");
    return root;
}
