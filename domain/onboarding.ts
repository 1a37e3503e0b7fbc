/**
 * Online-service onboarding (Circular 01/2018/TT-VPCP Art 21: "chạy thử nghiệm để hoàn thiện";
 * QĐ 31/2021 Art 30.3 on what agency systems synchronise, Art 37.2 on banks testing before
 * go-live): the conformance contract an agency system is tested against, the manual checklist per
 * service type, and the onboarding states. Pure: no I/O.
 *
 * The contract an agency system implements (the portal calls it):
 * - **Status sync** `POST <statusSyncUrl>` `{code, seq, status, at}` with `Idempotency-Key:
 *   <code>:<seq>`: 2xx `{code, seq, accepted: true}`; the same key again: 2xx, nothing recorded
 *   twice; a `seq` that skips one not yet received: 409. `GET <statusSyncUrl>/<code>`:
 *   `{code, statuses: [{seq, status}]}` in order, each once.
 * - **Dossier intake** `POST <intakeUrl>` `{dossierCode, procedureCode, applicant: {fullName,
 *   phone}, documents: string[]}`: 201 `{receiptCode}`; a payload missing a field: 400 with an
 *   `application/problem+json` body.
 * - **Payment notification** `POST <paymentCallbackUrl>` `{reference, dossierCode, amountVnd,
 *   outcome, at}` signed by the portal (`X-Portal-Timestamp`, `X-Portal-Nonce`,
 *   `X-Portal-Signature` = hex HMAC-SHA256 of `<timestamp>.<nonce>.<body>` with the secret agreed at
 *   registration): 2xx; a bad signature: 401.
 * - Every answer within the policy's response-time limit (p95 of the run).
 */

export const SERVICE_TYPES = ['dossier_service', 'payment_connection'] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

export const TARGET_LEVELS = ['partial', 'full'] as const;
export type TargetLevel = (typeof TARGET_LEVELS)[number];

export const CHECK_IDS = [
  'reachability',
  'status_sync.order',
  'status_sync.idempotent',
  'status_sync.out_of_order',
  'intake.valid',
  'intake.invalid',
  'payment_callback.signed',
  'payment_callback.forged',
  'response_time',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

export const CHECK_TITLES: Record<CheckId, string> = {
  reachability: 'Endpoints reachable (over TLS where required)',
  'status_sync.order': 'Status sync: a synthetic dossier\'s statuses posted and acknowledged in order',
  'status_sync.idempotent': 'Status sync: a replayed status is acknowledged and recorded once',
  'status_sync.out_of_order': 'Status sync: a status that skips one is refused (409)',
  'intake.valid': 'Dossier intake: a valid payload is received (201 with a receipt code)',
  'intake.invalid': 'Dossier intake: an invalid payload gets 400 application/problem+json',
  'payment_callback.signed': 'Payment notification: a correctly signed one is accepted',
  'payment_callback.forged': 'Payment notification: a forged signature is refused (401)',
  response_time: 'Response time: p95 within the policy limit',
};

/** The same, in the notices the agency's staff read. */
export const CHECK_TITLES_VI: Record<CheckId, string> = {
  reachability: 'Kết nối tới các đầu mối (qua TLS khi được yêu cầu)',
  'status_sync.order': 'Đồng bộ trạng thái: các trạng thái của hồ sơ thử được gửi và xác nhận đúng thứ tự',
  'status_sync.idempotent': 'Đồng bộ trạng thái: gửi lại một trạng thái được xác nhận và chỉ ghi nhận một lần',
  'status_sync.out_of_order': 'Đồng bộ trạng thái: trạng thái bỏ bước phải bị từ chối (409)',
  'intake.valid': 'Tiếp nhận hồ sơ: dữ liệu hợp lệ được tiếp nhận (201, có mã biên nhận)',
  'intake.invalid': 'Tiếp nhận hồ sơ: dữ liệu không hợp lệ nhận lỗi 400 dạng application/problem+json',
  'payment_callback.signed': 'Thông báo thanh toán: thông báo có chữ ký đúng được chấp nhận',
  'payment_callback.forged': 'Thông báo thanh toán: chữ ký giả phải bị từ chối (401)',
  response_time: 'Thời gian phản hồi: phân vị 95 trong giới hạn quy định',
};

/** Re-tests after a fix run what failed plus these. */
export const REGRESSION_CHECKS: CheckId[] = ['reachability', 'status_sync.order', 'response_time'];
/** Post-go-live monitoring probes: cheap and side-effect free at the agency (a synthetic dossier only). */
export const PROBE_CHECKS: CheckId[] = ['reachability', 'status_sync.order', 'response_time'];

export interface Endpoints {
  statusSyncUrl: string;
  intakeUrl: string;
  paymentCallbackUrl: string;
}

export interface Exchange {
  request: { method: string; url: string; headers: Record<string, string>; body?: string };
  response?: { status: number; headers: Record<string, string>; body: string };
  error?: string;
  ms: number;
}

export interface CheckResult {
  checkId: CheckId;
  title: string;
  verdict: 'pass' | 'fail';
  detail: string;
  ms: number;
  exchanges: Exchange[];
}

/** The manual test cases the portal operator's tester passes or fails, per service type. */
export const MANUAL_CHECKLIST: Record<ServiceType, Array<{ id: string; title: string }>> = {
  dossier_service: [
    { id: 'login-sso', title: 'Đăng nhập một lần bằng tài khoản Cổng Dịch vụ công quốc gia' },
    { id: 'submit-online', title: 'Nộp hồ sơ trực tuyến, nhận mã hồ sơ và giấy tiếp nhận' },
    { id: 'supplement', title: 'Nhận yêu cầu bổ sung và nộp bổ sung trực tuyến' },
    { id: 'track-status', title: 'Tra cứu tình trạng hồ sơ trên Cổng' },
    { id: 'pay-online', title: 'Thanh toán phí, lệ phí trực tuyến' },
    { id: 'receive-result', title: 'Nhận kết quả điện tử' },
    { id: 'rate', title: 'Đánh giá mức độ hài lòng' },
  ],
  payment_connection: [
    { id: 'pay-success', title: 'Thanh toán thành công, Cổng nhận xác nhận có chữ ký' },
    { id: 'pay-fail', title: 'Thanh toán không thành công được báo đúng' },
    { id: 'refund', title: 'Hoàn tiền theo yêu cầu của cơ quan' },
    { id: 'statement', title: 'Sao kê cuối ngày khớp với giao dịch' },
    { id: 'contact', title: 'Đầu mối tra soát, khiếu nại được công khai' },
  ],
};

export type OnboardingStatus = 'registered' | 'testing' | 'manual_testing' | 'fixing' | 'awaiting_acceptance' | 'accepted' | 'live' | 'suspended' | 'rejected' | 'withdrawn';

export function onboardingWorkflowId(serviceId: string): string {
  return `onboarding:${serviceId}`;
}

/** Share of a procedure's dossiers received online, as a percentage with one decimal. */
export function onlineShare(online: number, total: number): number {
  return total === 0 ? 0 : Math.round((online / total) * 1000) / 10;
}
