/**
 * A small real catalogue for the demo: well-known procedures with the time limits, fees and legal
 * basis their laws set (cited per item). The codes, decision numbers and transaction-type codes are
 * illustrative (the province "Minh Họa" is not real): replace them with the national catalogue's
 * own when syncing from CSDLQG TTHC. Fees set by a provincial council resolution are marked so.
 */
import type { AnnouncementDecision, ProcedureRecord } from '../domain/procedures';

const decision = (number: string): AnnouncementDecision => ({ number, signerLevel: 'provincialChair', signedOn: '2025-07-01', effectiveOn: '2025-07-01' });

export const DEMO_CATALOGUE: Array<{ record: ProcedureRecord; decision: AnnouncementDecision }> = [
  {
    record: {
      code: 'H99-TP-001',
      name: 'Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam',
      sector: 'Lý lịch tư pháp',
      level: 'province',
      agencyId: 'H99.20',
      competentAuthority: 'Sở Tư pháp',
      implementingAgencyIds: ['H99.20'],
      steps: [
        'Người yêu cầu nộp tờ khai và giấy tờ kèm theo tại Sở Tư pháp, qua dịch vụ bưu chính hoặc trực tuyến.',
        'Sở Tư pháp tra cứu, xác minh thông tin lý lịch tư pháp.',
        'Sở Tư pháp cấp Phiếu lý lịch tư pháp và trả kết quả.',
      ],
      submissionMethods: ['online', 'counter', 'post'],
      documents: [
        { name: 'Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp', copies: { originals: 1, copies: 0 }, formTemplate: 'Mẫu số 03/2013/TT-LLTP', required: true },
        { name: 'Bản chụp giấy tờ tùy thân của người được cấp Phiếu lý lịch tư pháp', copies: { originals: 0, copies: 1 }, required: true },
        { name: 'Văn bản ủy quyền', copies: { originals: 1, copies: 0 }, required: false, condition: 'Khi ủy quyền cho người khác làm thủ tục' },
      ],
      timeLimit: { calendarDays: 10, text: 'Không quá 10 ngày kể từ ngày nhận được yêu cầu hợp lệ; trường hợp phải xác minh thì không quá 15 ngày (Luật Lý lịch tư pháp 2009, Điều 48).' },
      applicants: 'Công dân Việt Nam; người nước ngoài đã hoặc đang cư trú tại Việt Nam',
      result: 'Phiếu lý lịch tư pháp số 1 hoặc số 2',
      conditions: [],
      fees: [
        { name: 'Phí cung cấp thông tin lý lịch tư pháp', kind: 'fee', amountVnd: 200_000, transactionTypeCode: 'G22.99.0001', note: 'Thông tư 244/2016/TT-BTC: 200.000 đồng/lần/người; sinh viên, người có công với cách mạng 100.000 đồng; từ Phiếu thứ 3 trở đi thu thêm 5.000 đồng/Phiếu.' },
      ],
      legalBasis: ['Luật Lý lịch tư pháp số 28/2009/QH12, Điều 45–48', 'Nghị định số 111/2010/NĐ-CP', 'Thông tư số 244/2016/TT-BTC'],
      onlineLevel: 'full',
    },
    decision: decision('1501/QĐ-UBND'),
  },
  {
    record: {
      code: 'H99-TP-002',
      name: 'Đăng ký khai sinh',
      sector: 'Hộ tịch',
      level: 'commune',
      agencyId: 'H99.20',
      competentAuthority: 'Ủy ban nhân dân cấp xã nơi cư trú của người cha hoặc người mẹ',
      implementingAgencyIds: ['H99.20.01'],
      steps: ['Người đi đăng ký nộp tờ khai và giấy chứng sinh.', 'Công chức tư pháp – hộ tịch kiểm tra, ghi vào Sổ hộ tịch.', 'Chủ tịch Ủy ban nhân dân cấp xã cấp Giấy khai sinh.'],
      submissionMethods: ['online', 'counter'],
      documents: [
        { name: 'Tờ khai đăng ký khai sinh', copies: { originals: 1, copies: 0 }, formTemplate: 'Theo Thông tư số 04/2024/TT-BTP', required: true },
        { name: 'Giấy chứng sinh', copies: { originals: 1, copies: 0 }, required: true, condition: 'Nếu không có: văn bản của người làm chứng hoặc giấy cam đoan về việc sinh' },
      ],
      timeLimit: { workingDays: 1, text: 'Ngay sau khi nhận đủ giấy tờ; nhận sau 15 giờ mà không giải quyết được ngay thì trả kết quả trong ngày làm việc tiếp theo (Luật Hộ tịch 2014, Điều 16).' },
      applicants: 'Cha, mẹ, ông, bà hoặc người thân thích khác của trẻ',
      result: 'Giấy khai sinh (bản chính)',
      conditions: ['Đăng ký trong thời hạn 60 ngày kể từ ngày sinh (Luật Hộ tịch 2014, Điều 15)'],
      fees: [],
      legalBasis: ['Luật Hộ tịch số 60/2014/QH13, Điều 11 (miễn lệ phí đăng ký khai sinh đúng hạn), Điều 13–17', 'Nghị định số 123/2015/NĐ-CP'],
      onlineLevel: 'full',
    },
    decision: decision('1502/QĐ-UBND'),
  },
  {
    record: {
      code: 'H99-TC-001',
      name: 'Đăng ký thành lập công ty trách nhiệm hữu hạn một thành viên',
      sector: 'Thành lập và hoạt động của doanh nghiệp',
      level: 'province',
      agencyId: 'H99.21',
      competentAuthority: 'Phòng Đăng ký kinh doanh thuộc Sở Tài chính',
      implementingAgencyIds: ['H99.21'],
      steps: ['Người thành lập doanh nghiệp nộp hồ sơ trên Hệ thống thông tin quốc gia về đăng ký doanh nghiệp hoặc tại Phòng Đăng ký kinh doanh.', 'Phòng Đăng ký kinh doanh xem xét tính hợp lệ của hồ sơ.', 'Cấp Giấy chứng nhận đăng ký doanh nghiệp hoặc thông báo sửa đổi, bổ sung.'],
      submissionMethods: ['online', 'counter', 'post'],
      documents: [
        { name: 'Giấy đề nghị đăng ký doanh nghiệp', copies: { originals: 1, copies: 0 }, required: true },
        { name: 'Điều lệ công ty', copies: { originals: 1, copies: 0 }, required: true },
        { name: 'Bản sao giấy tờ pháp lý của chủ sở hữu và người đại diện theo pháp luật', copies: { originals: 0, copies: 1 }, required: true },
      ],
      timeLimit: { workingDays: 3, text: '03 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ (Luật Doanh nghiệp 2020, Điều 26).' },
      applicants: 'Tổ chức, cá nhân thành lập doanh nghiệp',
      result: 'Giấy chứng nhận đăng ký doanh nghiệp',
      conditions: ['Ngành, nghề đăng ký kinh doanh không bị cấm đầu tư kinh doanh', 'Tên doanh nghiệp đặt đúng quy định'],
      fees: [
        { name: 'Lệ phí đăng ký doanh nghiệp', kind: 'charge', amountVnd: 50_000, transactionTypeCode: 'G22.99.0002', note: 'Thông tư 47/2019/TT-BTC; miễn khi đăng ký qua mạng điện tử.' },
        { name: 'Phí công bố nội dung đăng ký doanh nghiệp', kind: 'fee', amountVnd: 100_000, transactionTypeCode: 'G22.99.0003', note: 'Thông tư 47/2019/TT-BTC.' },
      ],
      legalBasis: ['Luật Doanh nghiệp số 59/2020/QH14, Điều 26', 'Nghị định số 01/2021/NĐ-CP', 'Thông tư số 47/2019/TT-BTC'],
      onlineLevel: 'full',
    },
    decision: decision('1503/QĐ-UBND'),
  },
  {
    record: {
      code: 'H99-XD-001',
      name: 'Cấp giấy phép xây dựng đối với nhà ở riêng lẻ',
      sector: 'Hoạt động xây dựng',
      level: 'commune',
      agencyId: 'H99',
      competentAuthority: 'Ủy ban nhân dân cấp xã (từ 01/7/2025, theo mô hình chính quyền địa phương hai cấp)',
      implementingAgencyIds: ['H99'],
      steps: ['Chủ đầu tư nộp hồ sơ đề nghị cấp giấy phép xây dựng.', 'Cơ quan cấp phép thẩm định hồ sơ, kiểm tra thực địa.', 'Cấp giấy phép xây dựng hoặc trả lời bằng văn bản nêu rõ lý do không cấp.'],
      submissionMethods: ['online', 'counter'],
      documents: [
        { name: 'Đơn đề nghị cấp giấy phép xây dựng', copies: { originals: 1, copies: 0 }, required: true },
        { name: 'Bản sao giấy tờ chứng minh quyền sử dụng đất', copies: { originals: 0, copies: 1 }, required: true },
        { name: 'Bản vẽ thiết kế xây dựng', copies: { originals: 2, copies: 0 }, required: true },
      ],
      timeLimit: { calendarDays: 15, text: 'Không quá 15 ngày kể từ ngày nhận đủ hồ sơ hợp lệ đối với nhà ở riêng lẻ (Luật Xây dựng 2014, Điều 102, sửa đổi năm 2020).' },
      applicants: 'Hộ gia đình, cá nhân',
      result: 'Giấy phép xây dựng',
      conditions: ['Phù hợp với mục đích sử dụng đất theo quy hoạch sử dụng đất được phê duyệt'],
      fees: [{ name: 'Lệ phí cấp giấy phép xây dựng', kind: 'charge', amountVnd: 75_000, transactionTypeCode: 'G22.99.0004', note: 'Mức thu do Hội đồng nhân dân cấp tỉnh quyết định (Thông tư 85/2019/TT-BTC); 75.000 đồng là mức minh họa.' }],
      legalBasis: ['Luật Xây dựng số 50/2014/QH13, Điều 102 (sửa đổi bởi Luật số 62/2020/QH14)', 'Nghị định số 175/2024/NĐ-CP', 'Thông tư số 85/2019/TT-BTC'],
      onlineLevel: 'partial',
    },
    decision: decision('1504/QĐ-UBND'),
  },
];
