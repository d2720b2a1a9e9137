// The last route of the 1,000-route table, here too so that the small and the big table answer the same
// request (the other 999 are written in a temporary folder when the benchmark starts).
export default async function () {
    return { message: "Hello World" };
}
