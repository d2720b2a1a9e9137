export default async function () {
    return { status: "ok" };
}
