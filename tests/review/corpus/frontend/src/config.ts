export const config = {
  apiUrl: "https://api.orders.acme-corp.io",
  sentryDsn: "https://4f8e1a2b3c4d5e6f@o123456.ingest.sentry.io/7654321",
  mapsKey: "AIza%%QuKf0ElTELYCRPklZlIuR0HmLhfgBcKr8Kr",
};
