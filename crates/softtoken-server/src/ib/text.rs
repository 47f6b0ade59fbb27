//! Words of the internet-banking pages, Japanese first (as the banks' guides word them) and English.

/// A page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Lang {
        if s.eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::Ja
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        }
    }
}

/// `(key, 日本語, English)`.
const TEXT: &[(&str, &str, &str)] = &[
    ("bank", "しんきん インターネットバンキング（softtoken デモ）", "Shinkin Internet Banking (softtoken demo)"),
    ("lang_switch", "English", "日本語"),
    ("top", "トップ", "Top"),
    ("login", "ログイン", "Log in"),
    ("logout", "ログアウト", "Log out"),
    ("register", "ワンタイムパスワード利用登録", "Register a one-time password token"),
    ("exchange", "ワンタイムパスワードのトークン交換", "Exchange the token (new phone)"),
    ("stop", "ワンタイムパスワード利用停止", "Stop using one-time passwords"),
    ("transfer", "振込", "Transfer"),
    ("login_otp_setting", "ログイン時ワンタイムパスワード設定", "One-time password at login"),
    ("contract_id", "契約者ID", "Contract ID"),
    ("login_password", "ログインパスワード", "Login password"),
    ("transfer_password", "振込用パスワード", "Transfer password"),
    ("otp", "ワンタイムパスワード", "One-time password"),
    ("otp_old", "現在ご利用中のトークンのワンタイムパスワード", "One-time password of the token in use now"),
    ("otp_new", "新しいトークンのワンタイムパスワード", "One-time password of the new token"),
    ("serial", "シリアル番号", "Serial number"),
    ("serial_new", "新しいトークンのシリアル番号", "Serial number of the new token"),
    ("next", "次へ", "Next"),
    ("submit_register", "登録", "Register"),
    ("submit_stop", "停止", "Stop"),
    ("submit_transfer", "振込実行", "Transfer"),
    ("back", "戻る", "Back"),
    ("back_to_login", "ログイン画面に戻る", "Back to login"),
    ("result", "処理結果", "Result"),
    ("payee", "振込先口座", "Payee account"),
    ("amount", "金額（円）", "Amount (yen)"),
    ("on", "利用する", "On"),
    ("off", "利用しない", "Off"),
    ("save", "設定", "Save"),
    ("welcome", "さん、ようこそ", ", welcome"),
    ("your_tokens", "ご利用中のトークン", "Your tokens"),
    ("no_token", "ワンタイムパスワードのトークンが登録されていません。", "No one-time password token is registered."),
    ("step1_intro", "契約者IDとログインパスワードを入力して「次へ」を押してください。", "Enter your contract ID and login password and press Next."),
    ("login_intro", "契約者IDとログインパスワードを入力して「ログイン」を押してください。", "Enter your contract ID and login password and press Log in."),
    ("state", "状態", "State"),
    ("state_active", "ご利用中", "In use"),
    ("state_locked", "ロック中（お取引店にご連絡ください）", "Locked (contact your branch)"),
    ("register_intro", "ソフトウェアトークンに表示されているシリアル番号とワンタイムパスワードを入力して「登録」を押してください。", "Enter the serial number and the one-time password shown by the software token, then press Register."),
    ("exchange_old_intro", "現在ご利用中のトークン（古い端末）のワンタイムパスワードを入力してください。新しいトークンの登録が終わるまで、古いトークンは削除しないでください。", "Enter the one-time password of the token you use now (the old phone). Do not delete the old token until the new one is registered."),
    ("exchange_new_intro", "新しい端末のトークンのシリアル番号とワンタイムパスワードを入力してください。", "Enter the serial number and one-time password of the token on the new phone."),
    ("stop_intro", "ワンタイムパスワードと振込用パスワードを入力して「停止」を押してください。", "Enter a one-time password and your transfer password, then press Stop."),
    ("login_otp_intro", "ワンタイムパスワードを入力してください。", "Enter a one-time password."),
    ("transfer_intro", "振込にはワンタイムパスワードが必要です。", "A transfer always needs a one-time password."),
    ("login_otp_setting_intro", "ログイン時にワンタイムパスワードを使うかどうかを選べます。振込には常にワンタイムパスワードが必要です。", "Choose whether logging in asks for a one-time password. Transfers always need one."),
    ("done_register", "ワンタイムパスワードの利用登録が完了しました。", "The one-time password token is registered."),
    ("done_exchange", "トークンの交換が完了しました。古い端末のトークンは削除して構いません。", "The token exchange is complete. You may now delete the token on the old phone."),
    ("done_stop", "ワンタイムパスワードの利用停止が完了しました。(00001)", "One-time passwords have been stopped. (00001)"),
    ("done_transfer", "振込を受け付けました。", "The transfer has been accepted."),
    ("done_setting", "設定を変更しました。", "The setting has been changed."),
    ("err_login", "契約者IDまたはログインパスワードが正しくありません。", "The contract ID or login password is wrong."),
    ("err_transfer_password", "振込用パスワードが正しくありません。", "The transfer password is wrong."),
    ("err_wrong_otp", "ワンタイムパスワードが正しくありません。", "The one-time password is wrong."),
    ("err_replayed", "このワンタイムパスワードは使用済みです。次のワンタイムパスワードが表示されるまでお待ちください。", "This one-time password was already used. Wait for the next one."),
    ("err_bad_format", "ワンタイムパスワードは6桁の数字です。", "A one-time password is 6 digits."),
    ("err_locked", "ワンタイムパスワードの誤入力が規定回数を超えたため、トークンはロックされています。お取引店にお問い合わせください。", "The token is locked after too many wrong one-time passwords. Please contact your branch."),
    ("err_serial_typo", "シリアル番号に誤りがあります（入力ミスの可能性があります）。トークンの画面をもう一度ご確認ください。", "The serial number has a typo. Check it again on the token's screen."),
    ("err_serial_format", "シリアル番号は英字4文字と数字8桁です（例：SKTN 1234 5671）。", "A serial number is 4 letters and 8 digits (e.g. SKTN 1234 5671)."),
    ("err_unknown_serial", "このシリアル番号のトークンは見つかりません。取得後、一定期間内に登録されなかったトークンは無効になります。その場合はアプリでトークンを削除し、もう一度取得してください。", "No token has this serial number. A token not registered soon after it was obtained expires: then delete it in the app and obtain a new one."),
    ("err_serial_taken", "このトークンは既に登録されているか、利用できない状態です。", "This token is already registered or cannot be used."),
    ("err_not_active", "ご利用中のトークンではありません。", "This is not your token in use."),
    ("err_has_token", "既にトークンが登録されています。機種変更の場合は「トークン交換」を行ってください。", "A token is already registered. For a new phone, use Exchange."),
    ("err_no_token", "ワンタイムパスワードのトークンが登録されていません。先に利用登録を行ってください。", "No token is registered. Register one first."),
    ("err_rate", "操作回数が多すぎます。1分ほど待ってから、もう一度お試しください。", "Too many attempts. Wait a minute, then try again."),
    ("err_session", "セッションの有効期限が切れました。最初からやり直してください。", "The session expired. Please start again."),
    ("err_internal", "システムエラーのため処理を完了できませんでした。お手数ですが、最初からやり直してください。", "A system error stopped the operation. Please start again."),
    ("err_busy", "ただいま混み合っています。処理は行われていません。しばらくしてからもう一度お試しください。", "The service is busy and nothing was done. Please try again shortly."),
    ("err_request", "ご入力内容を処理できませんでした。最初からやり直してください。", "The request could not be processed. Please start again."),
    ("error_title", "エラー", "Error"),
    ("err_amount", "金額を正しく入力してください。", "Enter a valid amount."),
    ("tries_left", "あと{n}回誤入力するとロックされます。", "{n} more wrong entries will lock the token."),
    ("lost_phone", "端末の紛失・アプリの削除の際は、お取引店にご連絡ください。トークンを停止し再発行します。", "If you lose the phone or delete the app, call your branch: the bank stops the token and reissues it."),
];

/// The text for `key` in `lang` (the key itself if missing, so a gap shows rather than hides).
pub fn t(lang: Lang, key: &str) -> &'static str {
    TEXT.iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, ja, en)| if lang == Lang::Ja { *ja } else { *en })
        .unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_unique_and_translated() {
        for (i, (k, ja, en)) in TEXT.iter().enumerate() {
            assert!(!ja.is_empty() && !en.is_empty(), "{k}");
            assert!(TEXT.iter().skip(i + 1).all(|(k2, _, _)| k2 != k), "duplicate {k}");
        }
        assert_eq!(
            t(Lang::Ja, "done_stop"),
            "ワンタイムパスワードの利用停止が完了しました。(00001)"
        );
    }
}
