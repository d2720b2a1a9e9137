import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { captureConsole, serve } from "../helpers/server.ts";

/** A routes folder with these files (path → source). */
async function routesFolder(files: Record<string, string>): Promise<string> {
    const folder = await mkdtemp(path.join(tmpdir(), "vshs-scan-"));
    for (const [file, source] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(folder, file)), { recursive: true });
        await writeFile(path.join(folder, file), source);
    }
    return folder;
}

const answer = 'export default () => "hi";\n';

describe("files that look meant as routes but are not", () => {
    it("a method file in lower case, and a file at the top of the folder, are each named in a warning", async () => {
        const folder = await routesFolder({ "x/get.ts": answer, "y/Post.mjs": answer, "hello.ts": answer, "ok/GET.ts": answer, "ok/helpers.ts": "export const two = 2;\n", "README.md": "notes" });
        const { result: server, logged } = await captureConsole("warn", () => serve({ routes: folder }));
        const warnings = logged.trim().split("\n").sort();
        assert.equal(warnings.length, 3, logged);
        assert.match(warnings[0]!, /^Warning: .*hello\.ts is not a route: a route is a method file in a folder named after its path \(hello\/GET\.ts answers GET \/hello\)$/);
        assert.match(warnings[1]!, /^Warning: .*x[\\/]get\.ts is not a route: method file names are upper case \(GET\.ts\)$/);
        assert.match(warnings[2]!, /^Warning: .*y[\\/]Post\.mjs is not a route: method file names are upper case \(POST\.mjs\)$/);
        assert.equal((await server.fetch("/x")).status, 404, "still not a route");
        assert.equal(await (await server.fetch("/ok")).text(), "hi");
    });

    it("a folder of route files and their helper modules gives no warning", async () => {
        const folder = await routesFolder({ "ok/GET.ts": answer, "ok/helpers.ts": "export const two = 2;\n", "GET.ts": answer, "_middleware.ts": "export default () => undefined;\n" });
        const { logged } = await captureConsole("warn", () => serve({ routes: folder }));
        assert.equal(logged, "");
    });
});
