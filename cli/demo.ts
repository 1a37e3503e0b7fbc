/**
 * Demo data for `motcua start`: the catalogue (imported), and feedback: a few cases in different states, submitted through the same
 * intake as the API and moved on through the same workflow updates officers use. Idempotent:
 * a second start finds the cases (fixed Idempotency-Keys) and only does what is still open.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../db/knex';
import type { Actor } from '../domain/roles';
import { feedbackIntake, type FeedbackSubmission } from '../api/services/feedback-intake';
import { caseViewQuery, completeTaskUpdate } from '../workflows/lib/case-messages';
import { procedureService } from '../api/services/procedures';
import { DEMO_CATALOGUE } from '../db/seed-catalogue';
import { dossierIntake, type DossierSubmission } from '../api/services/dossier-intake';
import { procedureStore } from '../db/procedure-store';
import { formatDate, localDay } from '../domain/calendar';
import { paymentService } from '../api/services/payments';
import { legalTimeService } from '../api/services/legal-time';
import { legalTimeStore } from '../db/legal-time-store';
import { paymentStore } from '../db/payment-store';
import { DOSSIER_FEE_TRANSACTION_TYPE } from '../domain/payments';
import type { RunningPaymentSimulator } from '../infra/payment-simulator';
import { ensureReconciliationSchedule } from '../worker/schedules';

const operator: Actor = { sub: 'operator-01', role: 'operator', agencyId: 'VPCP' };
const officer: Actor = { sub: 'officer-stp-01', role: 'officer', agencyId: 'H99.20' };
const leader: Actor = { sub: 'supervisor-stp-01', role: 'supervisor', agencyId: 'H99.20' };

type Step = [step: string, actor: Actor, outcome: string, payload?: Record<string, unknown>];

const citizen = (n: number): FeedbackSubmission['submitter'] => ({ fullName: `Công dân minh họa ${n}`, address: `Số ${n} đường Minh Họa`, phone: `09000000${String(n).padStart(2, '0')}`, email: `congdan${n}@nguoidan.motcua.local` });

const DEMO: Array<{ key: string; body: FeedbackSubmission; steps: Step[] }> = [
  {
    key: 'demo-feedback-01',
    body: { title: 'Đề nghị hướng dẫn thủ tục cấp phiếu lý lịch tư pháp', content: 'Tôi muốn biết cần chuẩn bị những giấy tờ gì để xin cấp phiếu lý lịch tư pháp số 1.', receivingAgencyId: 'H99.20', submitter: citizen(1) },
    steps: [],
  },
  {
    key: 'demo-feedback-02',
    body: { title: 'Phản ánh thời gian chờ tại bộ phận một cửa', content: 'Thời gian chờ tại bộ phận tiếp nhận và trả kết quả quá lâu vào buổi sáng thứ Hai.', receivingAgencyId: 'H99.20', submitter: citizen(2) },
    steps: [
      ['classify', operator, 'within'],
      ['accept', officer, 'accept'],
    ],
  },
  {
    key: 'demo-feedback-03',
    body: { title: 'Kiến nghị về mức lệ phí đăng ký kinh doanh', content: 'Đề nghị xem xét giảm lệ phí đăng ký hộ kinh doanh cho người khởi nghiệp lần đầu.', receivingAgencyId: 'H99.20', submitter: citizen(3) },
    steps: [['classify', operator, 'outside', { competentAgencyId: 'H99.21' }]],
  },
  {
    key: 'demo-feedback-04',
    body: { title: 'Chậm trả kết quả đăng ký khai sinh', content: 'Hồ sơ đăng ký khai sinh nộp trực tuyến đã quá hẹn ba ngày nhưng chưa có kết quả.', receivingAgencyId: 'H99.20', submitter: citizen(4) },
    steps: [
      ['classify', operator, 'within'],
      ['accept', officer, 'accept'],
      ['draft', officer, 'submit', { answer: 'Sở Tư pháp đã trả kết quả đăng ký khai sinh và xin lỗi ông/bà vì sự chậm trễ do lỗi kết nối hệ thống.' }],
      ['approve', leader, 'approve'],
      ['check', operator, 'accept'],
    ],
  },
];

/** Moves a case on through the same workflow updates officers use; a step already passed is skipped. */
async function drive(temporal: Client, workflowId: string, steps: Step[]): Promise<void> {
  const handle = temporal.workflow.getHandle(workflowId);
  for (const [step, actor, outcome, payload] of steps) {
    // Wait (briefly) for the step's task; skip it if the case already moved past it.
    let taskId: string | undefined;
    for (let i = 0; i < 100 && !taskId; i++) {
      const view = await handle.query(caseViewQuery);
      if (view.decisions.some((x) => x.step === step)) break;
      taskId = view.openTasks.find((t) => t.step === step)?.taskId;
      if (!taskId) await new Promise((r) => setTimeout(r, 100));
    }
    if (!taskId) continue;
    await handle.executeUpdate(completeTaskUpdate, { args: [{ taskId, actor, actorScope: [actor.agencyId!], outcome, payload }] });
  }
}

export async function seedDemoFeedback(deps: { db: Db; temporal: Client; taskQueue: string; operatorAgencyId: string }): Promise<string[]> {
  const intake = feedbackIntake(deps);
  const codes: string[] = [];
  for (const d of DEMO) {
    const { body } = await intake.submit({ actorSub: 'demo-citizen', actorIsCitizen: true, channel: 'portal', key: d.key, body: d.body });
    codes.push(body.code);
    await drive(deps.temporal, body.code, d.steps);
  }
  return codes;
}

/** The demo catalogue (db/seed-catalogue.ts), imported as the portal operator; a second start finds it unchanged. */
export async function seedDemoCatalogue(deps: { db: Db; temporal: Client; taskQueue: string }): Promise<number> {
  const report = await procedureService(deps).importCatalogue({ actor: operator, items: DEMO_CATALOGUE });
  if (report.rejected.length) throw new Error(`demo catalogue rejected: ${JSON.stringify(report.rejected)}`);
  return report.imported.length + report.unchanged.length;
}

const applicant = (n: number): DossierSubmission['applicant'] => ({ fullName: `Người nộp minh họa ${n}`, address: `Số ${n} phố Minh Họa`, phone: `09110000${String(n).padStart(2, '0')}`, email: `nguoinop${n}@nguoidan.motcua.local` });

const DEMO_DOSSIERS: Array<{ key: string; body: DossierSubmission; steps: Step[] }> = [
  { key: 'demo-dossier-01', body: { procedureCode: 'H99-TP-001', agencyId: 'H99.20', returnMethod: 'online', documents: ['Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp', 'Bản chụp căn cước'], applicant: applicant(1) }, steps: [] },
  {
    key: 'demo-dossier-02',
    body: { procedureCode: 'H99-TP-001', agencyId: 'H99.20', returnMethod: 'post', documents: ['Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp'], applicant: applicant(2) },
    steps: [['check', officer, 'accept']],
  },
  {
    key: 'demo-dossier-03',
    body: { procedureCode: 'H99-TP-001', agencyId: 'H99.20', returnMethod: 'online', documents: ['Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp', 'Bản chụp căn cước'], applicant: applicant(3) },
    steps: [
      ['check', officer, 'accept'],
      ['appraise', officer, 'propose_approve', { note: 'Không có án tích' }],
      ['approve', leader, 'approve'],
      ['collect_fee', officer, 'paid', { receiptNumber: 'BL-DEMO-0003' }],
      ['return', officer, 'returned'],
    ],
  },
];

/** Demo dossiers on the demo catalogue: just received, being processed, returned. */
export async function seedDemoDossiers(deps: { db: Db; temporal: Client; taskQueue: string }): Promise<string[]> {
  // The imported catalogue comes into force through its workflows: wait for it.
  for (let i = 0; i < 100 && !(await procedureStore(deps.db).inForceOn('H99-TP-001', formatDate(localDay(Date.now())))); i++) await new Promise((r) => setTimeout(r, 100));
  const intake = dossierIntake(deps);
  const codes: string[] = [];
  for (const d of DEMO_DOSSIERS) {
    const { body } = await intake.submit({ actorSub: 'citizen-001', channel: 'online', paper: false, key: d.key, body: d.body });
    codes.push(body.code);
    await drive(deps.temporal, body.code, d.steps);
  }
  return codes;
}

/**
 * Payments on the simulator: its providers registered (with their daily reconciliation
 * schedules), and one demo dossier taken to the fees step and paid online through it — the
 * signed callback reaches the API and the dossier moves on.
 */
export async function seedDemoPayments(deps: { db: Db; temporal: Client; taskQueue: string; simulator: RunningPaymentSimulator; callbackToleranceSeconds: number }): Promise<string | undefined> {
  await paymentStore(deps.db).upsertProviders(deps.simulator.providerRows());
  for (const p of deps.simulator.providers) await ensureReconciliationSchedule(deps.temporal, deps.taskQueue, p.id);
  const { body } = await dossierIntake(deps).submit({
    actorSub: 'citizen-001',
    channel: 'online',
    paper: false,
    key: 'demo-dossier-04',
    body: { procedureCode: 'H99-TP-001', agencyId: 'H99.20', returnMethod: 'online', documents: ['Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp', 'Bản chụp căn cước'], applicant: applicant(4) },
  });
  await drive(deps.temporal, body.code, [
    ['check', officer, 'accept'],
    ['appraise', officer, 'propose_approve', { note: 'Không có án tích' }],
    ['approve', leader, 'approve'],
  ]);
  const row = await deps.db('dossiers').where({ code: body.code }).first<{ status: string; agency_id: string; fee_total_vnd: number }>();
  for (let i = 0; i < 100 && row.status !== 'awaiting_payment'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    Object.assign(row, await deps.db('dossiers').where({ code: body.code }).first('status'));
  }
  if (row.status !== 'awaiting_payment') return body.code;
  const payments = paymentService({ ...deps, legalTime: legalTimeService(legalTimeStore(deps.db)) });
  const p = await payments.create({
    actorSub: 'citizen-001',
    key: 'demo-payment-04',
    body: { provider: 'SIMPAY', agencyId: row.agency_id, transactionType: DOSSIER_FEE_TRANSACTION_TYPE, amountVnd: row.fee_total_vnd, description: `Phí, lệ phí hồ sơ ${body.code}`, dossierCode: body.code },
  });
  // The payer pays on the provider's page.
  await fetch(p.body.payUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ result: 'pay' }) });
  return body.code;
}
