//! The words of a workbook: each CSV column name in Vietnamese and English (the XLSX's header
//! and its "about" sheet), and the lines every "about" sheet ends with: the method and the
//! conventions. The CSV keeps the machine names, which are documented and never change.

use super::Lang;

/// (column name, Vietnamese, English).
const COLUMNS: &[(&str, &str, &str)] = &[
    ("code", "Mã", "Code"),
    ("name", "Tên", "Name"),
    ("index_percent", "Chỉ số (%)", "Index (%)"),
    ("ci_low_percent", "Cận dưới KTC 95% (%)", "95% CI low (%)"),
    ("ci_high_percent", "Cận trên KTC 95% (%)", "95% CI high (%)"),
    ("n", "Số câu trả lời hợp lệ (n)", "Valid answers (n)"),
    ("status", "Trạng thái", "Status"),
    ("missing_percent", "Tỷ lệ thiếu (%)", "Missing (%)"),
    ("mean_score", "Điểm trung bình (1–5)", "Mean score (1–5)"),
    ("level1_percent", "Mức 1 (%)", "Level 1 (%)"),
    ("level2_percent", "Mức 2 (%)", "Level 2 (%)"),
    ("level3_percent", "Mức 3 (%)", "Level 3 (%)"),
    ("level4_percent", "Mức 4 (%)", "Level 4 (%)"),
    ("level5_percent", "Mức 5 (%)", "Level 5 (%)"),
    ("agency", "Cơ quan", "Agency"),
    ("from", "Từ ngày", "From"),
    ("to", "Đến ngày", "To"),
    ("channel", "Kênh", "Channel"),
    ("kind", "Đối tượng", "Respondent kind"),
    ("respondent_kind", "Đối tượng", "Respondent kind"),
    ("desk", "Quầy", "Desk"),
    ("responses", "Số phiếu", "Ratings"),
    ("rank", "Thứ hạng", "Rank"),
    (
        "rank_low",
        "Thứ hạng thấp nhất (KTC 95%)",
        "Rank, best plausible (95%)",
    ),
    (
        "rank_high",
        "Thứ hạng cao nhất (KTC 95%)",
        "Rank, worst plausible (95%)",
    ),
    (
        "tier",
        "Nhóm so với chỉ số chung",
        "Tier against the reference",
    ),
    ("measure", "Chỉ số xếp hạng", "Measure ranked"),
    ("seed", "Hạt giống mô phỏng", "Simulation seed"),
    ("p_value", "Giá trị p", "p-value"),
    (
        "p_adjusted",
        "Giá trị p hiệu chỉnh (BH)",
        "Adjusted p-value (BH)",
    ),
    (
        "model_based_percent",
        "Ước lượng theo mô hình (%)",
        "Model-based estimate (%)",
    ),
    (
        "model_based_rmse_percent",
        "Sai số RMSE của ước lượng mô hình (điểm %)",
        "Model-based RMSE (points)",
    ),
    ("year", "Năm", "Year"),
    ("points", "Điểm CCHC", "PAR points"),
    ("rule", "Quy tắc tính điểm", "Scoring rule"),
    ("month", "Tháng", "Month"),
    (
        "dossiers_handled",
        "Số hồ sơ đã giải quyết",
        "Dossiers handled",
    ),
    ("rated", "Số hồ sơ được đánh giá", "Dossiers rated"),
    ("rated_satisfied", "Hài lòng", "Rated satisfied"),
    ("rated_unsatisfied", "Không hài lòng", "Rated unsatisfied"),
    ("not_rated", "Chưa đánh giá", "Not rated"),
    (
        "response_rate_percent",
        "Tỷ lệ đánh giá (%)",
        "Response rate (%)",
    ),
    (
        "dossier_satisfaction_rate_percent",
        "Tỷ lệ hài lòng theo QĐ 766 (%)",
        "Decision 766 satisfaction rate (%)",
    ),
    ("date", "Ngày", "Date"),
    ("comment", "Góp ý", "Comment"),
    ("level", "Cấp", "Level"),
    ("index", "Chỉ số", "Index"),
    ("estimate_percent", "Ước lượng (%)", "Estimate (%)"),
    (
        "se_percent",
        "Sai số chuẩn (điểm %)",
        "Standard error (points)",
    ),
    ("df", "Bậc tự do", "Degrees of freedom"),
    ("reported", "Được công bố", "Reported"),
    ("unit_id", "Mã đơn vị mẫu", "Sample unit id"),
    ("stratum", "Tầng", "Stratum"),
    (
        "stratum_population",
        "Quy mô tầng (N_h)",
        "Stratum population (N_h)",
    ),
    (
        "population",
        "Quy mô tầng (N_h)",
        "Stratum population (N_h)",
    ),
    ("role", "Vai trò", "Role"),
    ("reserve_rank", "Thứ tự dự phòng", "Reserve rank"),
    (
        "inclusion_probability",
        "Xác suất chọn",
        "Inclusion probability",
    ),
    ("base_weight", "Trọng số thiết kế", "Base weight"),
    ("weight", "Trọng số điều chỉnh", "Adjusted weight"),
    ("wave", "Đợt khảo sát", "Survey wave"),
    ("dossier_code", "Mã hồ sơ", "Dossier code"),
    ("receipt_token", "Mã phiếu đánh giá", "Receipt token"),
    ("url", "Đường dẫn", "Link"),
    ("qr_svg_url", "Mã QR (SVG)", "QR code (SVG)"),
    ("qr_png_url", "Mã QR (PNG)", "QR code (PNG)"),
    ("expires_at", "Hết hạn", "Expires"),
];

/// (column, code, Vietnamese, English): the codes a download writes in its coded columns,
/// in words for the XLSX (the CSV keeps the codes).
const CODES: &[(&str, &str, &str, &str)] = &[
    ("status", "reported", "Công bố", "Reported"),
    (
        "status",
        "suppressed",
        "Không công bố (dưới 30 câu trả lời hợp lệ)",
        "Not reported (fewer than 30 valid answers)",
    ),
    ("status", "assessed", "Đã chấm điểm", "Scored"),
    (
        "status",
        "no_rule",
        "Chưa có quy tắc tính điểm",
        "No scoring rule",
    ),
    (
        "status",
        "not_assessed_below_min_n",
        "Không chấm (dưới 30 câu trả lời hợp lệ)",
        "Not scored (fewer than 30 valid answers)",
    ),
    ("tier", "above", "Cao hơn rõ rệt", "Significantly above"),
    ("tier", "not_different", "Không khác biệt", "Not different"),
    ("tier", "below", "Thấp hơn rõ rệt", "Significantly below"),
    ("tier", "not_ranked", "Không xếp hạng", "Not ranked"),
    ("channel", "all", "Tất cả", "All"),
    ("channel", "desk_qr", "Mã QR tại quầy", "Desk QR code"),
    ("channel", "kiosk", "Máy tại quầy", "Desk kiosk"),
    (
        "channel",
        "receipt_qr",
        "Mã QR trên phiếu hẹn trả kết quả",
        "Receipt QR code",
    ),
    (
        "channel",
        "annual_sample",
        "Khảo sát mẫu hằng năm",
        "Annual sample survey",
    ),
    ("kind", "all", "Tất cả", "All"),
    ("kind", "individual", "Cá nhân", "Individual"),
    ("kind", "organisation", "Tổ chức", "Organisation"),
    ("desk", "all", "Tất cả", "All"),
    ("measure", "overall", "Chỉ số SIPAS chung", "Overall SIPAS"),
    ("reported", "yes", "Có", "Yes"),
    (
        "reported",
        "no",
        "Không (dưới 30 câu trả lời hợp lệ)",
        "No (fewer than 30 valid answers)",
    ),
    ("level", "province", "Toàn tỉnh", "Province"),
    ("level", "agency", "Cơ quan", "Agency"),
];

/// A coded value of `column` in words, `None` for a value that is not a known code.
pub fn code(column: &str, value: &str, lang: Lang) -> Option<&'static str> {
    CODES
        .iter()
        .find(|c| c.0 == column && c.1 == value)
        .map(|c| match lang {
            Lang::Vi => c.2,
            Lang::En => c.3,
        })
}

/// A column's name in words, `None` for a name without one (a question's code, "F1.1").
pub fn column(name: &str, lang: Lang) -> Option<&'static str> {
    COLUMNS.iter().find(|c| c.0 == name).map(|c| match lang {
        Lang::Vi => c.1,
        Lang::En => c.2,
    })
}

pub fn about_title(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "Giới thiệu",
        Lang::En => "About",
    }
}

pub fn columns_title(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "Tên cột trong tệp CSV",
        Lang::En => "Column names in the CSV",
    }
}

/// The lines after the selection: how an index and its interval are made, and the file's
/// conventions.
pub fn about_lines(lang: Lang) -> [(&'static str, &'static str); 3] {
    match lang {
        Lang::Vi => [
            ("Phương pháp", crate::results::publication::METHOD_VI),
            (
                "Quy ước",
                "Mọi tỷ lệ và chỉ số được ghi bằng phần trăm (hai chữ số thập phân; ô giữ giá trị chính xác). \
                 Ô trống: dưới 30 câu trả lời hợp lệ (không công bố) hoặc không có dữ liệu. \
                 KTC 95%: khoảng tin cậy 95%.",
            ),
            ("Nguồn", "SIPAS — Chỉ số hài lòng về sự phục vụ hành chính; xem trang Phương pháp (/phuong-phap)."),
        ],
        Lang::En => [
            ("Method", crate::results::publication::METHOD),
            (
                "Conventions",
                "Every share and index is in percent (two decimals shown; the cell keeps the exact value). \
                 An empty cell: fewer than 30 valid answers (not reported) or no data. \
                 95% CI: 95% confidence interval.",
            ),
            ("Source", "SIPAS — satisfaction index of public administrative services; see the Method page (/phuong-phap)."),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_as_words_and_unknown_values_stay_as_they_are() {
        assert_eq!(
            code("tier", "not_different", Lang::Vi),
            Some("Không khác biệt")
        );
        assert_eq!(code("channel", "all", Lang::En), Some("All"));
        assert_eq!(code("name", "all", Lang::Vi), None, "only coded columns");
        assert_eq!(code("status", "Sở Tư pháp", Lang::Vi), None);
        for c in CODES {
            assert!(column(c.0, Lang::Vi).is_some(), "{} is a column", c.0);
        }
    }

    #[test]
    fn every_column_has_words_in_both_languages_and_once() {
        for (i, c) in COLUMNS.iter().enumerate() {
            assert!(!c.1.is_empty() && !c.2.is_empty(), "{}", c.0);
            assert!(COLUMNS[i + 1..].iter().all(|d| d.0 != c.0), "{} twice", c.0);
        }
    }
}
