//! The staff pages' texts in Vietnamese and English: one table, one row per text, so that a
//! text cannot exist in one language only. Templates read them as `s.<key>` (every page's
//! `Chrome` carries the map of its language); a key a template names but the table lacks fails
//! the render tests of both languages.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use super::Lang;

/// (key, Vietnamese, English)
const TABLE: &[(&str, &str, &str)] = &[
    ("f_agency", "Cơ quan", "Agency"),
    ("f_period", "Kỳ", "Period"),
    ("f_by_dates", "Theo ngày chọn", "By dates below"),
    ("f_this_month", "Tháng này", "This month"),
    ("f_last_month", "Tháng trước", "Last month"),
    ("f_this_quarter", "Quý này", "This quarter"),
    ("f_this_year", "Năm nay", "This year"),
    ("f_from", "Từ ngày", "From"),
    ("f_to", "Đến ngày", "To"),
    ("f_channel", "Kênh", "Channel"),
    ("f_source", "Nguồn số liệu", "Source"),
    ("d_annual_link", "Kết quả khảo sát hằng năm (mẫu xác suất) của cơ quan này →", "This agency's annual survey results (probability sample) →"),
    ("f_source_desk", "Luồng đánh giá tại quầy", "Desk rating stream"),
    ("f_source_annual", "Khảo sát hằng năm (năm của ngày kết thúc)", "Annual survey (year of the end date)"),
    ("r_annual_note", "Nguồn: khảo sát hằng năm — mẫu xác suất, chỉ số có trọng số theo thiết kế mẫu. Xếp hạng các cơ quan là tầng của đợt; cấp, kênh và đối tượng không áp dụng.", "Source: the annual survey — a probability sample, design-weighted indices. The ranked units are the wave's agencies (its strata); level, channel and kind do not apply."),
    ("f_all", "Tất cả", "All"),
    ("f_desk_qr", "Mã QR tại quầy", "Desk QR code"),
    ("f_kiosk", "Ki-ốt", "Kiosk"),
    ("f_receipt_qr", "Biên nhận hồ sơ", "Dossier receipt"),
    ("f_desk", "Quầy", "Desk"),
    ("f_kind", "Người đánh giá", "Respondent"),
    ("f_individual", "Cá nhân", "Individual"),
    ("f_organisation", "Tổ chức, doanh nghiệp", "Organisation, business"),
    ("f_show", "Xem", "Show"),
    ("f_level", "Cấp đơn vị", "Level"),
    ("f_measure", "Chỉ số", "Index"),
    ("not_enough", "Chưa đủ số phản hồi", "Not enough responses"),
    ("ci95", "khoảng tin cậy 95%", "95% confidence interval"),
    ("method_link", "Cách tính →", "How it is computed (in Vietnamese) →"),
    ("d_deff", "Hiệu ứng thiết kế do các lượt đánh giá cùng quầy giống nhau:", "Design effect of ratings at the same desk being alike:"),
    ("d_deff_rule", "Các lượt đánh giá tại cùng một quầy (cùng cán bộ, cùng ngày) thường giống nhau, nên mọi khoảng tin cậy trên trang này coi mỗi quầy là một cụm: phương sai lớn hơn chừng ấy lần so với khi coi từng lượt là độc lập.", "Ratings at one desk (the same staff, the same day) tend to be alike, so every interval on this page takes each desk as a cluster: the variance is this many times that of independent ratings."),
    ("d_one_desk", "Các lượt đánh giá này đến từ một quầy: không có chênh lệch giữa các quầy để ước lượng, nên khoảng tin cậy coi từng lượt là độc lập.", "These ratings come from one desk: there is no spread between desks to estimate, so the interval takes each rating as independent."),
    ("download_table", "Tải bảng chỉ số", "Download the table"),
    ("download", "Tải bảng", "Download"),
    ("microdata", "dữ liệu từng phiếu (CSV, ẩn danh)", "response microdata (CSV, anonymised)"),
    ("d_title", "Chỉ số hài lòng", "Satisfaction indices"),
    ("d_caveat", "Đánh giá qua mã QR tại quầy do người dân tự nguyện gửi: đây không phải mẫu ngẫu nhiên, nên chỉ số phản ánh những người đã chọn đánh giá. Mỗi chỉ số là tỷ lệ hài lòng (mức 4 hoặc 5) kèm khoảng tin cậy 95% và số câu trả lời hợp lệ n; dưới 30 câu trả lời thì chưa tính.", "Desk QR ratings are given voluntarily by citizens: they are not a random sample, so the indices describe the people who chose to rate. Each index is the share satisfied (level 4 or 5) with its 95% confidence interval and the number of valid answers n; below 30 answers no index is given."),
    ("d_overall", "Chỉ số hài lòng chung (SIPAS)", "Overall satisfaction index (SIPAS)"),
    ("d_responses", "phiếu trong kỳ đã chọn.", "responses in the selected period."),
    ("d_target_word", "mục tiêu", "target"),
    ("d_no_target", "Chưa đặt mục tiêu cho cơ quan này (Sở Nội vụ đặt mục tiêu ở trang Mục tiêu).", "No target is set for this agency (Home Affairs sets targets on the Targets page)."),
    ("d_target_rule", "Kết luận dựa trên cả khoảng tin cậy: đạt khi cả khoảng nằm trên mục tiêu, chưa đạt khi cả khoảng nằm dưới, còn lại chưa thể kết luận.", "Judged by the whole confidence interval: met when it lies above the target, not met when it lies below, otherwise cannot tell yet."),
    ("d_trend", "Xu hướng 12 tháng", "Twelve-month trend"),
    ("d_trend_title", "Chỉ số SIPAS chung theo tháng, với khoảng tin cậy 95%", "Overall SIPAS by month with its 95% confidence interval"),
    ("d_and", "và", "and"),
    ("d_trend_caption", "Đường: chỉ số mỗi tháng; vùng tô: khoảng tin cậy 95%; tháng có dưới 30 câu trả lời không được vẽ.", "Line: the index of each month; band: its 95% confidence interval; months with fewer than 30 answers are not drawn."),
    ("d_dashed", "Nét đứt", "Dashed line"),
    ("d_changes", "So sánh với kỳ trước", "Compared with earlier periods"),
    ("d_index", "Chỉ số", "Index"),
    ("d_vs_previous", "So với kỳ liền trước", "Against the previous period"),
    ("d_vs_year", "So với cùng kỳ năm trước", "Against the same period a year earlier"),
    ("d_interval95", "khoảng 95%", "95% interval"),
    ("d_significant", "có ý nghĩa thống kê", "statistically significant"),
    ("d_not_clear", "chưa khác biệt rõ", "no clear difference"),
    ("d_no_data", "chưa đủ dữ liệu", "not enough data"),
    ("d_sig_rule", "Một thay đổi chỉ được coi là có ý nghĩa thống kê khi khoảng tin cậy 95% của hiệu số không chứa 0 và vẫn có ý nghĩa sau khi kiểm soát tỷ lệ phát hiện sai 5% trên mọi so sánh của bảng này (Benjamini–Hochberg): trang có nhiều so sánh thì dễ có một thay đổi “có ý nghĩa” do ngẫu nhiên.", "A change counts as statistically significant only when the 95% confidence interval of the difference excludes zero and it stays significant with the false discovery rate controlled at 5% across every comparison of this table (Benjamini–Hochberg): a table of many comparisons easily shows a chance “significant” change."),
    ("d_improve", "Nên cải thiện điều gì trước?", "What to improve first?"),
    ("d_improve_hint", "Mức độ quan trọng của mỗi yếu tố là hệ số tương quan giữa điểm yếu tố đó và điểm câu hỏi hài lòng chung, trong số người trả lời cả hai, kèm khoảng tin cậy 95% (biến đổi z của Fisher). Yếu tố quan trọng hơn mức trung bình mà có chỉ số thấp hơn mức trung bình là yếu tố nên ưu tiên. Một yếu tố chỉ được xếp nhóm khi có ít nhất 100 lượt trả lời cả hai câu: ít hơn thì hệ số tương quan quá bất định.", "A factor's importance is the correlation between its score and the score of the overall satisfaction question, among respondents who answered both, with its 95% interval (Fisher's z). A factor more important than the average factor that scores below the average factor is a priority. A factor is grouped only with at least 100 ratings answering both: with fewer the correlation is too uncertain."),
    ("d_priorities", "Nên ưu tiên cải thiện:", "Improve first:"),
    ("d_no_priority", "Không có yếu tố nào vừa quan trọng hơn vừa có chỉ số thấp hơn mức trung bình.", "No factor is both more important and lower scoring than the average factor."),
    ("d_factor", "Yếu tố", "Factor"),
    ("d_performance", "Chỉ số (kết quả)", "Index (performance)"),
    ("d_importance", "Mức độ quan trọng (r)", "Importance (r)"),
    ("d_group", "Nhóm", "Group"),
    ("d_ipa_title", "Biểu đồ tầm quan trọng – kết quả của năm yếu tố", "Importance–performance chart of the five factors"),
    ("d_q_first", "Ưu tiên cải thiện", "Improve first"),
    ("chart_focus", "Chạm vào một điểm (hoặc chuyển đến bằng phím Tab) để xem giá trị.", "Tap a point (or Tab to it) to see its value."),
    ("chart_as_table", "Xem số liệu dạng bảng", "Show the figures as a table"),
    ("d_q_keep", "Tiếp tục duy trì", "Keep it up"),
    ("d_axis_perf", "Chỉ số (kết quả) →", "Index (performance) →"),
    ("d_axis_imp", "Quan trọng →", "Importance →"),
    ("d_items", "Từng câu hỏi", "Each question"),
    ("d_question", "Câu hỏi", "Question"),
    ("d_share", "Tỷ lệ hài lòng", "Share satisfied"),
    ("d_ci_col", "Khoảng tin cậy 95%", "95% confidence interval"),
    ("d_missing", "Không ý kiến / bỏ trống", "No opinion / skipped"),
    ("d_mean", "Điểm trung bình", "Mean score"),
    ("d_distribution", "Phân bố mức 1–5", "Levels 1–5"),
    ("d_level", "Mức", "Level"),
    ("d_dossiers", "Tỷ lệ hài lòng theo hồ sơ (Quyết định 766/QĐ-TTg)", "Per-dossier satisfaction rate (Decision 766/QĐ-TTg)"),
    ("d_dossiers_hint", "Mỗi hồ sơ đã trả kết quả có một biên nhận mang mã QR riêng, chỉ đánh giá được một lần. Tỷ lệ = (số hồ sơ đã giải quyết − số hồ sơ đánh giá không hài lòng) ÷ số hồ sơ đã giải quyết. Hồ sơ được tính theo ngày trả kết quả, lượt đánh giá theo ngày đánh giá; một lượt là không hài lòng khi câu hài lòng chung chọn mức 1–2 (nếu câu đó bỏ trống: khi điểm trung bình các câu dưới 2,5). Phản ánh, kiến nghị do hệ thống một cửa quản lý nên không tính ở đây. Số hài lòng/không hài lòng và tỷ lệ chỉ hiện khi có ít nhất 30 lượt đánh giá.", "Each dossier whose result was returned has a receipt with its own QR code that rates once. Rate = (dossiers handled − dossiers rated unsatisfied) ÷ dossiers handled. Dossiers count by the day the result was returned, ratings by the day they were given; a rating is unsatisfied when its overall answer is 1–2 (where that is blank: when the mean of its answers is below 2.5). Complaints are kept by the one-stop system and not counted here. Satisfied and unsatisfied counts and the rate show only with at least 30 ratings."),
    ("d_no_receipts", "Chưa có biên nhận nào được phát hoặc đánh giá trong kỳ này.", "No receipt was issued or rated in this period."),
    ("d_rate766", "Tỷ lệ hài lòng theo hồ sơ", "Per-dossier satisfaction rate"),
    ("d_response_rate", "Tỷ lệ phản hồi", "Response rate"),
    ("d_issued", "Hồ sơ đã giải quyết", "Dossiers handled"),
    ("d_rated", "Đã đánh giá", "Rated"),
    ("d_not_rated", "Chưa đánh giá", "Not rated"),
    ("d_satisfied", "Hài lòng", "Satisfied"),
    ("d_unsatisfied", "Không hài lòng", "Unsatisfied"),
    ("d_month", "Tháng", "Month"),
    ("d_by_agency", "Theo cơ quan (quầy của chính cơ quan, không gồm đơn vị cấp dưới)", "By agency (its own desks, not the units below it)"),
    ("d_by_desk", "Tỷ lệ phản hồi theo quầy", "Response rate by desk"),
    ("d_streams", "Hai nguồn đánh giá khác nhau thế nào", "How the two streams differ"),
    ("d_streams_hint", "Biên nhận gần như bao phủ mọi hồ sơ đã trả kết quả và mỗi hồ sơ chỉ đánh giá một lần; mã QR dán tại quầy và ki-ốt ai cũng dùng được, nhiều lần, nên người đánh giá tự chọn mình và dễ bị thổi phồng. Khi chỉ số của hai nguồn chênh nhau rõ, nên tin nguồn biên nhận hơn.", "Receipts cover nearly every dossier whose result was returned, and each rates once; the desk poster and the kiosk are open to anyone, any number of times, so their raters select themselves and are easier to inflate. Where the two streams' indices differ clearly, trust the receipts more."),
    ("d_channel", "Nguồn", "Stream"),
    ("d_total", "Cả kỳ", "Whole period"),
    ("d_held", "lượt đánh giá đang bị giữ lại chờ Sở Nội vụ xem xét, không tính vào chỉ số", "ratings are held for Home Affairs to review and left out of the indices"),
    ("d_held_why", "Lý do", "Why"),
    ("held_fast_fill", "gửi nhanh hơn thời gian đọc phiếu", "sent faster than the form can be read"),
    ("held_no_render", "gửi thẳng tới địa chỉ phiếu mà không mở phiếu", "posted without opening the form"),
    ("held_burst", "dồn dập tại quầy, vượt xa mức thường thấy của quầy", "a burst at the desk, far beyond its usual count"),
    ("held_one_client", "một thiết bị đánh giá nhiều lần", "one device rating many times"),
    ("held_identical", "chuỗi câu trả lời giống hệt nhau", "runs of identical answers"),
    ("held_after_hours", "ngoài giờ làm việc của quầy", "outside the desk's opening hours"),
    ("d_colours", "Màu trong thanh phân bố: đỏ = rất không hài lòng (1), cam = 2, xám = 3, xanh nhạt = 4, xanh đậm = rất hài lòng (5).", "Bar colours: red = very dissatisfied (1), orange = 2, grey = 3, light green = 4, dark green = very satisfied (5)."),
    ("d_comments", "Ý kiến gần đây", "Recent comments"),
    ("d_search", "Tìm trong ý kiến", "Search the comments"),
    ("d_search_button", "Tìm", "Search"),
    ("d_search_limited", "Quá nhiều lượt tìm kiếm trong thời gian ngắn. Vui lòng thử lại sau", "Too many searches in a short time. Please try again in"),
    ("d_hidden", "đã ẩn", "hidden"),
    ("d_original", "Xem nguyên văn (chỉ quản trị viên: ý kiến có số điện thoại, email hoặc số giấy tờ)", "Show as typed (administrators only: it holds a phone number, e-mail or ID number)"),
    ("d_hidden_text", "Ý kiến này đã được ẩn vì không phù hợp.", "This comment was hidden as inappropriate."),
    ("d_show_again", "Hiện lại", "Show again"),
    ("d_hide", "Ẩn ý kiến không phù hợp", "Hide as inappropriate"),
    ("d_no_comments", "Không có ý kiến nào trong kỳ và bộ lọc đã chọn.", "No comments in the selected period and filters."),
    ("d_comments_hint", "Ý kiến mới nhất trước; tối đa 30 ý kiến. Tìm kiếm không phân biệt dấu và chữ hoa, chỉ trong phần ý kiến được hiển thị (số điện thoại, email, số giấy tờ đã ẩn thì không tìm được); mỗi lượt tìm được ghi vào nhật ký thay đổi. Ẩn một ý kiến không xoá nó: ý kiến vẫn được lưu và việc ẩn được ghi vào nhật ký thay đổi.", "Newest first, at most 30. Search ignores tone marks and capitals and looks only in what is shown (masked phone numbers, e-mails and ID numbers cannot be found); each search is written to the audit log. Hiding a comment does not delete it: it is kept, and the hiding is written to the audit log."),
    ("r_title", "Xếp hạng các đơn vị", "Ranking of units"),
    ("r_caveat", "Đánh giá qua mã QR tại quầy do người dân tự nguyện gửi, không phải mẫu ngẫu nhiên. Thứ hạng chỉ có ý nghĩa trong khoảng thứ hạng của nó: các đơn vị có khoảng chồng nhau không khác nhau rõ rệt.", "Desk QR ratings are given voluntarily, not a random sample. A rank means only as much as its rank interval: units whose intervals overlap are not clearly different."),
    ("r_reference", "Chỉ số chung", "Reference index"),
    ("r_counts_ranked", "đơn vị được xếp hạng,", "units ranked,"),
    ("r_counts_unranked", "đơn vị chưa đủ số phản hồi.", "units with too few responses."),
    ("r_table", "Bảng xếp hạng", "Ranking table"),
    ("r_rank", "Hạng", "Rank"),
    ("r_rank_interval", "Khoảng thứ hạng 95%", "95% rank interval"),
    ("r_code", "Mã", "Code"),
    ("r_unit", "Đơn vị", "Unit"),

    ("r_vs_reference", "So với chỉ số chung", "Against the reference"),
    ("r_none", "Chưa có đơn vị nào đủ số phản hồi để xếp hạng trong kỳ này.", "No unit has enough responses to be ranked in this period."),
    ("r_yours", "đơn vị của Ông/Bà", "your unit"),
    ("r_rule_title", "Quy tắc xếp hạng.", "Ranking rule."),
    ("r_sims", "Số lần mô phỏng:", "Simulations:"),
    ("r_seed", "hạt giống (seed):", "seed:"),
    ("r_seed_note", "cùng dữ liệu và cùng hạt giống cho cùng kết quả.", "the same data and seed give the same table."),
    ("r_unranked", "Chưa đủ số phản hồi (không xếp hạng)", "Too few responses (not ranked)"),
    ("r_valid_n", "Câu trả lời hợp lệ n", "Valid answers n"),
    ("r_responses", "Số phiếu", "Responses"),
    ("r_funnel", "Biểu đồ phễu", "Funnel plot"),
    ("r_model", "Ước lượng theo mô hình (95%)", "Model-based estimate (95%)"),
    ("r_model_hint", "Ước lượng theo mô hình dành cho đơn vị có quá ít câu trả lời để công bố chỉ số trực tiếp: mô hình Fay–Herriot kéo chỉ số của đơn vị về mức mà các biến phụ trợ dự báo (cơ quan cấp trên, quy mô trong khung mẫu, chỉ số năm trước — mỗi biến chỉ dùng khi có cho mọi đơn vị), càng mạnh khi đơn vị càng ít câu trả lời (EBLUP, sai số toàn phương trung bình theo Prasad–Rao). Đây không phải số đo trực tiếp và không được dùng để xếp hạng.", "A model-based estimate for units with too few answers to publish a direct index: the Fay–Herriot model pulls the unit's index towards what the covariates predict (parent agency, size in the sampling frame, last year's index — each only where known for every unit), the more so the fewer its answers (EBLUP, Prasad–Rao mean squared error). It is not a direct measurement and is never used to rank."),
    ("r_funnel_hint", "Mỗi chấm là một đơn vị: chỉ số theo số câu trả lời hợp lệ n (thang log). Đường giữa là chỉ số chung; hai cặp đường là giới hạn kiểm soát 95% và 99,8% (Spiegelhalter 2005). Đơn vị nằm trong phễu không khác chỉ số chung quá mức có thể do ngẫu nhiên.", "Each dot is a unit: its index against its number of valid answers n (log scale). The middle line is the reference index; the two pairs of lines are the 95% and 99.8% control limits (Spiegelhalter 2005). A unit inside the funnel differs from the reference no more than chance allows."),
    ("r_funnel_title", "Biểu đồ phễu: chỉ số của từng đơn vị theo n, với giới hạn kiểm soát 95% và 99,8%", "Funnel plot: each unit's index against n, with 95% and 99.8% control limits"),
    ("r_n_axis", "Số câu trả lời hợp lệ n", "Valid answers n"),
    ("r_above", "cao hơn rõ rệt", "significantly above"),
    ("r_not_diff", "không khác biệt", "not different"),
    ("r_below", "thấp hơn rõ rệt", "significantly below"),
    ("r_not_ranked", "chưa xếp hạng", "not ranked"),
    ("r_dash_long", "nét đứt dài: 95%", "long dashes: 95%"),
    ("r_dots", "nét chấm: 99,8%", "dots: 99.8%"),
    ("r_factors", "Năm yếu tố theo đơn vị", "The five factors by unit"),
    ("r_too_many", "Có quá nhiều đơn vị để vẽ từng yếu tố; xem bảng hoặc tải CSV theo từng chỉ số.", "Too many units to draw each factor; see the table or download the CSV for each index."),
    ("r_multiples_hint", "Mỗi ô là một yếu tố, các đơn vị theo thứ tự xếp hạng; chấm là chỉ số, vạch ngang là khoảng tin cậy 95%, đường dọc là chỉ số chung. Thang chung cho mọi ô, từ", "One panel per factor, units in ranking order; a dot is the index, the bar its 95% confidence interval, the vertical line the reference index. One scale for every panel, from"),
    ("st_title", "Vị trí so với các đơn vị cùng cấp", "Standing among the units of its level"),
    ("st_rank", "Xếp thứ", "Rank"),
    ("st_of", "trên", "of"),
    ("st_than_reference", "so với chỉ số chung toàn tỉnh", "compared with the province's reference index"),
    ("st_reference", "Chỉ số chung toàn tỉnh (mọi câu trả lời trong kỳ và bộ lọc đã chọn, khoảng tin cậy 95%)", "The province's reference index (every answer of the period and filters chosen, 95% confidence interval)"),
    ("st_units_a", "Cấp này có", "This level has"),
    ("st_units_b", "đơn vị.", "units."),
    ("st_overlap", "Hai đơn vị có khoảng thứ hạng chồng nhau thì chưa thể nói đơn vị nào tốt hơn.", "Two units whose rank intervals overlap cannot be told apart."),
    ("st_open", "Xem bảng xếp hạng và biểu đồ phễu", "See the ranking and the funnel plot"),
    ("r_own_orange", "Đơn vị của bạn in đậm, chấm màu cam.", "Your unit is in bold with an orange dot."),
    ("r_to_100", "đến 100%.", "to 100%."),
    ("logout", "Đăng xuất", "Sign out"),
    ("admin_title", "SIPAS – Quản trị", "SIPAS – Administration"),
    ("switch", "English", "Tiếng Việt"),
    ("nav_desks", "Quầy và mã QR", "Desks and QR codes"),
    ("nav_dashboard", "Chỉ số hài lòng", "Satisfaction indices"),
    ("nav_ranking", "Xếp hạng", "Ranking"),
    ("nav_agencies", "Cơ quan", "Agencies"),
    ("nav_users", "Tài khoản", "Accounts"),
    ("nav_targets", "Mục tiêu", "Targets"),
    ("nav_par", "Điểm CCHC", "PAR points"),
    ("nav_held", "Giữ lại", "Held"),
    ("nav_audit", "Nhật ký thay đổi", "Audit log"),
    ("nav_publications", "Công bố", "Publications"),
    ("nav_survey", "Khảo sát hằng năm", "Annual survey"),
];

pub type StaffTexts = BTreeMap<&'static str, &'static str>;

/// The staff texts of a language.
pub fn staff_texts(lang: Lang) -> &'static StaffTexts {
    static VI: OnceLock<StaffTexts> = OnceLock::new();
    static EN: OnceLock<StaffTexts> = OnceLock::new();
    match lang {
        Lang::Vi => VI.get_or_init(|| TABLE.iter().map(|r| (r.0, r.1)).collect()),
        Lang::En => EN.get_or_init(|| TABLE.iter().map(|r| (r.0, r.2)).collect()),
    }
}

/// A text by key, for labels built in Rust (the key must be in the table).
pub fn text(lang: Lang, key: &str) -> &'static str {
    staff_texts(lang).get(key).copied().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_exists_in_both_languages_once() {
        let mut keys: Vec<&str> = TABLE.iter().map(|r| r.0).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), TABLE.len(), "a key appears twice");
        for (key, vi, en) in TABLE {
            assert!(!vi.is_empty() && !en.is_empty(), "{key}");
        }
        assert_eq!(text(Lang::En, "f_show"), "Show");
        assert_eq!(text(Lang::Vi, "f_show"), "Xem");
    }
}
