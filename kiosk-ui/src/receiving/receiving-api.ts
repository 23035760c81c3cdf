import type {
  CloseDeliveryRequest,
  CloseDeliveryResult,
  DeliverySummary,
  DeliveryView,
  PutAsideReason,
  ReceivingDemoLabel,
  ReceivingStep,
} from '../../../terminal/http/wire-types.js';
import { api } from '../shell/api.js';

// The receiving API (terminal/http/routes/receiving.ts) with the clerk's session token.
// Failures throw ApiFailure (shell/api.ts); a 401 clears the token and the page signs in again.

const base = (id: string) => `/api/v1/receiving/deliveries/${encodeURIComponent(id)}`;

export const receivingApi = {
  deliveries: () =>
    api<{ deliveries: DeliverySummary[] }>('/api/v1/receiving/deliveries').then((d) => d.deliveries),
  delivery: (id: string) => api<DeliveryView>(base(id)),
  scan: (id: string, data: string) => api<ReceivingStep>(`${base(id)}/scan`, { body: { data } }),
  openContainer: (id: string, data: string) =>
    api<ReceivingStep>(`${base(id)}/open-container`, { body: { data } }),
  putAside: (id: string, data: string, reason: PutAsideReason) =>
    api<ReceivingStep>(`${base(id)}/put-aside`, { body: { data, reason } }),
  close: (id: string, request: CloseDeliveryRequest) =>
    api<CloseDeliveryResult>(`${base(id)}/close`, { body: request }),
  demoLabels: () =>
    api<{ labels: ReceivingDemoLabel[] }>('/api/v1/receiving/demo-labels').then(
      (d) => d.labels,
      () => [] as ReceivingDemoLabel[],
    ),
};
