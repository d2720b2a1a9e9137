export default async function () {
    return { message: "Hello World" };
}
