/** Official days off and worked Saturdays for state agencies, per year, each with its source. */
export interface CalendarSource { id: string; title: string; issuer: string; issued: string /* YYYY-MM-DD */; url?: string }
export interface OfficialDayOff { date: string /* YYYY-MM-DD */; name: string /* Vietnamese, e.g. 'Tết Nguyên đán' */; kind: 'holiday' | 'compensatory' | 'swap' | 'extra'; source: string /* CalendarSource.id */; note?: string }
export interface WorkedSaturday { date: string; replaces: string /* the weekday given off in exchange */; source: string; note?: string }
export interface OfficialYear { year: number; sources: CalendarSource[]; daysOff: OfficialDayOff[]; workedSaturdays: WorkedSaturday[] }

/*
 * Scope: cán bộ, công chức, viên chức of cơ quan hành chính, sự nghiệp, tổ chức chính trị,
 * tổ chức chính trị - xã hội with a fixed Saturday/Sunday weekly rest. Swaps (hoán đổi) apply to
 * them only; private employers choose their own schedule (often different, e.g. for 2/9).
 * Only weekdays (Mon–Fri) are listed in daysOff. Holidays falling on Sat/Sun are not listed.
 *
 * Research note: the notices were read through press/aggregator copies (URLs below),
 * not through the official PDFs on the issuers' portals.
 */

/** Bộ luật Lao động 2019, Điều 112 (fixed-date holidays) and Điều 111 khoản 3 (nghỉ bù). */
const LABOUR_CODE_2019: CalendarSource = {
  id: 'BLLD-2019',
  title: 'Bộ luật Lao động số 45/2019/QH14 (Điều 111 khoản 3, Điều 112)',
  issuer: 'Quốc hội',
  issued: '2019-11-20',
};

export const OFFICIAL_YEARS: OfficialYear[] = [
  {
    year: 2024,
    sources: [
      {
        id: 'TB-5015-LDTBXH-2023',
        title: 'Thông báo 5015/TB-LĐTBXH về việc nghỉ tết Âm lịch và nghỉ lễ Quốc khánh năm 2024 đối với cán bộ, công chức, viên chức và người lao động',
        issuer: 'Bộ Lao động - Thương binh và Xã hội',
        issued: '2023-11-22',
        url: 'http://huyendakha.kontum.gov.vn/tin-tuc/thong-bao-ve-viec-nghi-tet-am-lich-va-nghi-le-quoc-khanh-nam-2024-doi-voi-can-bo-cong-chuc-vien-chuc-va-nguoi-lao-dong.html',
      },
      {
        id: 'CV-2450-VPCP-KGVX-2024',
        title: 'Công văn 2450/VPCP-KGVX về việc hoán đổi ngày làm việc dịp nghỉ lễ 30/4 và ngày Quốc tế lao động 1/5/2024',
        issuer: 'Văn phòng Chính phủ',
        issued: '2024-04-12',
        url: 'https://baophapluat.vn/media/thu-tuong-chinh-phu-dong-y-nghi-5-ngay-lien-tiep-dip-304-va-15-post12513.html',
      },
      LABOUR_CODE_2019,
    ],
    daysOff: [
      { date: '2024-01-01', name: 'Tết Dương lịch', kind: 'holiday', source: 'BLLD-2019', note: 'Thứ Hai; no swap. Weekday confirmed by press (dbndnghean.vn, 04/10/2023); no separate notice needed.' },
      { date: '2024-02-08', name: 'Tết Nguyên đán', kind: 'holiday', source: 'TB-5015-LDTBXH-2023', note: '29 tháng Chạp Quý Mão. Notice: nghỉ từ Thứ Năm 08/02 đến hết Thứ Tư 14/02/2024 = 5 ngày Tết + 2 ngày nghỉ bù.' },
      { date: '2024-02-09', name: 'Tết Nguyên đán', kind: 'holiday', source: 'TB-5015-LDTBXH-2023', note: '30 tháng Chạp (giao thừa).' },
      { date: '2024-02-12', name: 'Tết Nguyên đán', kind: 'holiday', source: 'TB-5015-LDTBXH-2023', note: 'Mùng 3 Tết Giáp Thìn.' },
      { date: '2024-02-13', name: 'Tết Nguyên đán (nghỉ bù)', kind: 'compensatory', source: 'TB-5015-LDTBXH-2023', note: 'The notice only says the 7-day break holds 5 Tết days + 2 nghỉ bù (khoản 3 Điều 111). Which weekdays are the nghỉ bù is derived: the adopted option was 2 days before + 3 after Tết, so mùng 1 (Sat 10/02) and mùng 2 (Sun 11/02) are compensated by 13/02 and 14/02.' },
      { date: '2024-02-14', name: 'Tết Nguyên đán (nghỉ bù)', kind: 'compensatory', source: 'TB-5015-LDTBXH-2023', note: 'Mùng 5 Tết; last day of the break. Split holiday/nghỉ bù derived, see 13/02.' },
      { date: '2024-04-18', name: 'Giỗ Tổ Hùng Vương', kind: 'holiday', source: 'BLLD-2019', note: '10/3 âm lịch = Thứ Năm 18/4/2024; 1 day, no swap (vietnamnet.vn/lich-nghi-le-gio-to-hung-vuong-2024-moi-nhat-2269335.html).' },
      { date: '2024-04-29', name: 'Nghỉ lễ 30/4–1/5 (hoán đổi)', kind: 'swap', source: 'CV-2450-VPCP-KGVX-2024', note: 'Thứ Hai 29/4 off, worked back on Thứ Bảy 04/5/2024; break 27/4–01/5 (5 days).' },
      { date: '2024-04-30', name: 'Ngày Chiến thắng', kind: 'holiday', source: 'BLLD-2019' },
      { date: '2024-05-01', name: 'Ngày Quốc tế Lao động', kind: 'holiday', source: 'BLLD-2019' },
      { date: '2024-09-02', name: 'Quốc khánh', kind: 'holiday', source: 'TB-5015-LDTBXH-2023', note: 'Notice: nghỉ từ Thứ Bảy 31/8 đến hết Thứ Ba 03/9/2024 = 2 ngày lễ Quốc khánh + 2 ngày nghỉ hằng tuần.' },
      { date: '2024-09-03', name: 'Quốc khánh', kind: 'holiday', source: 'TB-5015-LDTBXH-2023', note: 'Ngày liền kề (sau) 2/9 — the second statutory Quốc khánh day.' },
    ],
    workedSaturdays: [
      { date: '2024-05-04', replaces: '2024-04-29', source: 'CV-2450-VPCP-KGVX-2024', note: 'Confirmed by baophapluat.vn and voh.com.vn reports of the dispatch.' },
    ],
  },
  {
    year: 2025,
    sources: [
      {
        id: 'TB-6150-BLDTBXH-2024',
        title: 'Thông báo 6150/TB-BLĐTBXH về việc nghỉ tết Âm lịch, nghỉ lễ Quốc khánh, nghỉ lễ ngày Chiến thắng 30/4 và ngày Quốc tế lao động 01/5 năm 2025 đối với cán bộ, công chức, viên chức và người lao động',
        issuer: 'Bộ Lao động - Thương binh và Xã hội',
        issued: '2024-12-03',
        url: 'http://tintuc.thuvienphapluat.com/thong-bao-van-ban-moi/email/76169/chinh-thuc-co-lich-nghi-tet-am-lich-va-le-quoc-khanh-nam-2025-voi-can-bo-cong-chuc-vien-chuc',
      },
      LABOUR_CODE_2019,
    ],
    daysOff: [
      { date: '2025-01-01', name: 'Tết Dương lịch', kind: 'holiday', source: 'BLLD-2019', note: 'Thứ Tư; 1 day, no swap (press: vuasmartphone.vn, tet-amlich.com). Not covered by 6150/TB-BLĐTBXH.' },
      { date: '2025-01-27', name: 'Tết Nguyên đán', kind: 'holiday', source: 'TB-6150-BLDTBXH-2024', note: 'Notice: nghỉ từ Thứ Bảy 25/01/2025 (26 Chạp Giáp Thìn) đến hết Chủ nhật 02/02/2025 (mùng 5 Tết Ất Tỵ) = 5 ngày Tết + 4 ngày nghỉ hằng tuần. 27/01 = 28 Chạp.' },
      { date: '2025-01-28', name: 'Tết Nguyên đán', kind: 'holiday', source: 'TB-6150-BLDTBXH-2024', note: '29 Chạp = giao thừa (tháng Chạp Giáp Thìn thiếu).' },
      { date: '2025-01-29', name: 'Tết Nguyên đán', kind: 'holiday', source: 'TB-6150-BLDTBXH-2024', note: 'Mùng 1 Tết Ất Tỵ.' },
      { date: '2025-01-30', name: 'Tết Nguyên đán', kind: 'holiday', source: 'TB-6150-BLDTBXH-2024', note: 'Mùng 2.' },
      { date: '2025-01-31', name: 'Tết Nguyên đán', kind: 'holiday', source: 'TB-6150-BLDTBXH-2024', note: 'Mùng 3.' },
      { date: '2025-04-07', name: 'Giỗ Tổ Hùng Vương', kind: 'holiday', source: 'BLLD-2019', note: '10/3 âm lịch = Thứ Hai 07/4/2025; break 05–07/4 (en.baochinhphu.vn, 04/03/2025).' },
      { date: '2025-04-30', name: 'Ngày Chiến thắng', kind: 'holiday', source: 'BLLD-2019' },
      { date: '2025-05-01', name: 'Ngày Quốc tế Lao động', kind: 'holiday', source: 'BLLD-2019' },
      { date: '2025-05-02', name: 'Nghỉ lễ 30/4–1/5 (hoán đổi)', kind: 'swap', source: 'TB-6150-BLDTBXH-2024', note: 'Hoán đổi ngày làm việc Thứ Sáu 02/5/2025 sang Thứ Bảy 26/4/2025; break 30/4–04/5 (5 days). The excerpt of the notice read was cut after "sang thứ Bả…"; the 26/4 date is confirmed by en.baochinhphu.vn and tet-amlich.com.' },
      { date: '2025-09-01', name: 'Quốc khánh', kind: 'holiday', source: 'TB-6150-BLDTBXH-2024', note: 'Ngày liền kề (trước) 2/9. Notice: nghỉ từ Thứ Bảy 30/8 đến hết Thứ Ba 02/9/2025 = 2 ngày lễ + 2 ngày nghỉ hằng tuần. Re-announced by Bộ Nội vụ in Aug 2025 (vietnamnews.vn, 04/08/2025) with the same dates.' },
      { date: '2025-09-02', name: 'Quốc khánh', kind: 'holiday', source: 'TB-6150-BLDTBXH-2024' },
    ],
    workedSaturdays: [
      { date: '2025-04-26', replaces: '2025-05-02', source: 'TB-6150-BLDTBXH-2024', note: 'See note on 2025-05-02.' },
    ],
  },
  {
    year: 2026,
    sources: [
      {
        id: 'TB-9441-BNV-2025',
        title: 'Thông báo 9441/TB-BNV về việc nghỉ Tết Âm lịch và nghỉ lễ Quốc khánh năm 2026 đối với cán bộ, công chức, viên chức và người lao động',
        issuer: 'Bộ Nội vụ',
        issued: '2025-10-16',
        url: 'https://vietbao.vn/bo-noi-vu-thong-bao-lich-nghi-tet-nguyen-dan-va-quoc-khanh-nam-2026-568329.html',
      },
      {
        id: 'CV-12729-VPCP-KGVX-2025',
        title: 'Công văn 12729/VPCP-KGVX về việc nghỉ Tết Dương lịch năm 2026 (hoán đổi ngày làm việc)',
        issuer: 'Văn phòng Chính phủ',
        issued: '2025-12-25',
        url: 'https://vietnam.vnanet.vn/english/tin-van/civil-servants-public-employees-to-have-four-day-new-year-break-418376.html',
      },
      {
        id: 'NQ-80-NQTW-2026',
        title: 'Nghị quyết 80-NQ/TW của Bộ Chính trị về phát triển văn hóa Việt Nam (chọn 24/11 hằng năm là Ngày Văn hóa Việt Nam)',
        issuer: 'Bộ Chính trị',
        issued: '2026-01-07',
        url: 'https://baomoi.net.vn/chon-ngay-24-11-hang-nam-la-ngay-van-hoa-viet-nam-c54246060.epi',
      },
      LABOUR_CODE_2019,
    ],
    daysOff: [
      { date: '2026-01-01', name: 'Tết Dương lịch', kind: 'holiday', source: 'BLLD-2019', note: 'Thứ Năm. Break 01/01–04/01/2026 per 12729/VPCP-KGVX.' },
      { date: '2026-01-02', name: 'Tết Dương lịch (hoán đổi)', kind: 'swap', source: 'CV-12729-VPCP-KGVX-2025', note: 'Hoán đổi ngày làm việc Thứ Sáu 02/01/2026 sang Thứ Bảy 10/01/2026 (sggp, vietnamnews, vnanet 25–26/12/2025).' },
      { date: '2026-02-16', name: 'Tết Nguyên đán', kind: 'holiday', source: 'TB-9441-BNV-2025', note: '29 tháng Chạp Ất Tỵ (giao thừa). Notice: 5 ngày Tết (1 trước, 4 sau) từ Thứ Hai 16/02 đến hết Thứ Sáu 20/02/2026 + 4 ngày nghỉ hằng tuần = 14/02–22/02.' },
      { date: '2026-02-17', name: 'Tết Nguyên đán', kind: 'holiday', source: 'TB-9441-BNV-2025', note: 'Mùng 1 Tết Bính Ngọ.' },
      { date: '2026-02-18', name: 'Tết Nguyên đán', kind: 'holiday', source: 'TB-9441-BNV-2025', note: 'Mùng 2.' },
      { date: '2026-02-19', name: 'Tết Nguyên đán', kind: 'holiday', source: 'TB-9441-BNV-2025', note: 'Mùng 3.' },
      { date: '2026-02-20', name: 'Tết Nguyên đán', kind: 'holiday', source: 'TB-9441-BNV-2025', note: 'Mùng 4.' },
      { date: '2026-04-27', name: 'Giỗ Tổ Hùng Vương (nghỉ bù)', kind: 'compensatory', source: 'BLLD-2019', note: '10/3 âm lịch = Chủ nhật 26/4/2026, nghỉ bù Thứ Hai 27/4 under khoản 3 Điều 111. Confirmed only by press (thanhnien.vn 23/02/2026, laodong.vn, kenh14.vn 11/03/2026); no dedicated government notice found.' },
      { date: '2026-04-30', name: 'Ngày Chiến thắng', kind: 'holiday', source: 'BLLD-2019', note: 'Thứ Năm; break 30/4–03/5. No swap found (kenh14.vn 11/03/2026: no adjustment approved).' },
      { date: '2026-05-01', name: 'Ngày Quốc tế Lao động', kind: 'holiday', source: 'BLLD-2019' },
      { date: '2026-08-31', name: 'Quốc khánh (hoán đổi)', kind: 'swap', source: 'TB-9441-BNV-2025', note: 'Nghỉ Thứ Hai 31/8, làm bù Thứ Bảy 22/8/2026; break 29/8–02/9 (5 days). Read via vietnamnews.vn (17/10/2025) and baohaiphong.vn/vietnam.vn reports of 9441/TB-BNV.' },
      { date: '2026-09-01', name: 'Quốc khánh', kind: 'holiday', source: 'TB-9441-BNV-2025', note: 'Ngày liền kề (trước) 2/9.' },
      { date: '2026-09-02', name: 'Quốc khánh', kind: 'holiday', source: 'TB-9441-BNV-2025' },
      { date: '2026-11-24', name: 'Ngày Văn hóa Việt Nam', kind: 'holiday', source: 'NQ-80-NQTW-2026', note: 'UNCONFIRMED AS LAW. Read: Politburo Nghị quyết 80-NQ/TW (07/01/2026) chooses 24/11 as a paid day off (chủ trương); Nghị quyết 30/NQ-CP (Feb 2026) tasks amending khoản 1 Điều 112 Bộ luật Lao động and a QH16 resolution. The text of Nghị quyết 28/2026/QH16 and its effective date (reported 01/7/2026) could NOT be read — seen only cited in third-party code. No Bộ Nội vụ notice for 24/11/2026 (or any swap around it) was found.' },
    ],
    workedSaturdays: [
      { date: '2026-01-10', replaces: '2026-01-02', source: 'CV-12729-VPCP-KGVX-2025' },
      { date: '2026-08-22', replaces: '2026-08-31', source: 'TB-9441-BNV-2025' },
    ],
  },
];
