// The benchmark's routes, written as the examples write theirs (examples/routes): `vshs bench/routes`.
export default async function () {
    return { message: "Hello World" };
}
