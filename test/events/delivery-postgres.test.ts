/** The delivery suite (delivery.test.ts) once more, on PostgreSQL: claims, batched outcomes, disable and replay. */
process.env.DELIVERY_TEST_DATABASE = 'postgres';
await import('./delivery.test.js');
