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

/// Declares [`Key`] and the words of each key: `Key => "日本語", "English";`. A page names its texts by `Key`, so a
/// missing or misspelt key does not compile.
macro_rules! texts {
    ($($key:ident => $ja:literal, $en:literal;)*) => {
        /// A text of the pages.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Key {
            $($key,)*
        }

        impl Key {
            /// Every key, in the table's order.
            pub const ALL: &[Key] = &[$(Key::$key,)*];

            /// `(日本語, English)`.
            fn words(self) -> (&'static str, &'static str) {
                match self {
                    $(Key::$key => ($ja, $en),)*
                }
            }
        }
    };
}

texts! {
    Bank => "しんきん インターネットバンキング（softtoken デモ）", "Shinkin Internet Banking (softtoken demo)";
    LangSwitch => "English", "日本語";
    Top => "トップ", "Top";
    Login => "ログイン", "Log in";
    Logout => "ログアウト", "Log out";
    Register => "ワンタイムパスワード利用登録", "Register a one-time password token";
    Exchange => "ワンタイムパスワードのトークン交換", "Exchange the token (new phone)";
    Stop => "ワンタイムパスワード利用停止", "Stop using one-time passwords";
    Transfer => "振込", "Transfer";
    LoginOtpSetting => "ログイン時ワンタイムパスワード設定", "One-time password at login";
    ContractId => "契約者ID", "Contract ID";
    LoginPassword => "ログインパスワード", "Login password";
    TransferPassword => "振込用パスワード", "Transfer password";
    Otp => "ワンタイムパスワード", "One-time password";
    OtpOld => "現在ご利用中のトークンのワンタイムパスワード", "One-time password of the token in use now";
    OtpNew => "新しいトークンのワンタイムパスワード", "One-time password of the new token";
    Serial => "シリアル番号", "Serial number";
    SerialNew => "新しいトークンのシリアル番号", "Serial number of the new token";
    Next => "次へ", "Next";
    SubmitRegister => "登録", "Register";
    SubmitStop => "停止", "Stop";
    SubmitTransfer => "振込実行", "Transfer";
    Back => "戻る", "Back";
    BackToLogin => "ログイン画面に戻る", "Back to login";
    Result => "処理結果", "Result";
    Payee => "振込先口座", "Payee account";
    Amount => "金額（円）", "Amount (yen)";
    On => "利用する", "On";
    Off => "利用しない", "Off";
    Save => "設定", "Save";
    Welcome => "さん、ようこそ", ", welcome";
    TokenEvents => "トークンの操作履歴", "Token history";
    NoTokenEvents => "まだ操作はありません。", "Nothing yet.";
    TokenEventsNote => "身に覚えのない操作がある場合は、すぐにお取引店にご連絡ください。", "If you did not do one of these, contact your branch at once.";
    When => "日時（日本時間）", "When (Japan time)";
    What => "操作", "What";
    EventRegister => "利用登録", "Registered";
    EventExchange => "交換（新しいトークン）", "Exchanged (new token)";
    EventStop => "利用停止", "Stopped";
    EventRevoke => "失効（金融機関による）", "Revoked by the bank";
    YourTokens => "ご利用中のトークン", "Your tokens";
    NoToken => "ワンタイムパスワードのトークンが登録されていません。", "No one-time password token is registered.";
    Step1Intro => "契約者IDとログインパスワードを入力して「次へ」を押してください。", "Enter your contract ID and login password and press Next.";
    LoginIntro => "契約者IDとログインパスワードを入力して「ログイン」を押してください。", "Enter your contract ID and login password and press Log in.";
    State => "状態", "State";
    StateActive => "ご利用中", "In use";
    StateLocked => "ロック中（お取引店にご連絡ください）", "Locked (contact your branch)";
    RegisterIntro => "ソフトウェアトークンに表示されているシリアル番号とワンタイムパスワード、および振込用パスワードを入力して「登録」を押してください。", "Enter the serial number and the one-time password shown by the software token, and your transfer password, then press Register.";
    ExchangeOldIntro => "現在ご利用中のトークン（古い端末）のワンタイムパスワードを入力してください。新しいトークンの登録が終わるまで、古いトークンは削除しないでください。", "Enter the one-time password of the token you use now (the old phone). Do not delete the old token until the new one is registered.";
    ExchangeNewIntro => "新しい端末のトークンのシリアル番号とワンタイムパスワードを入力してください。", "Enter the serial number and one-time password of the token on the new phone.";
    StopIntro => "ワンタイムパスワードと振込用パスワードを入力して「停止」を押してください。", "Enter a one-time password and your transfer password, then press Stop.";
    LoginOtpIntro => "ワンタイムパスワードを入力してください。", "Enter a one-time password.";
    TransferIntro => "振込にはワンタイムパスワードが必要です。", "A transfer always needs a one-time password.";
    LoginOtpSettingIntro => "ログイン時にワンタイムパスワードを使うかどうかを選べます。振込には常にワンタイムパスワードが必要です。", "Choose whether logging in asks for a one-time password. Transfers always need one.";
    DoneRegister => "ワンタイムパスワードの利用登録が完了しました。", "The one-time password token is registered.";
    DoneExchange => "トークンの交換が完了しました。古い端末のトークンは削除して構いません。", "The token exchange is complete. You may now delete the token on the old phone.";
    DoneStop => "ワンタイムパスワードの利用停止が完了しました。(00001)", "One-time passwords have been stopped. (00001)";
    DoneTransfer => "振込を受け付けました。", "The transfer has been accepted.";
    DoneSetting => "設定を変更しました。", "The setting has been changed.";
    ErrLogin => "契約者IDまたはログインパスワードが正しくありません。", "The contract ID or login password is wrong.";
    ErrProofs => "振込用パスワードまたはワンタイムパスワードが正しくありません。", "The transfer password or the one-time password is wrong.";
    ErrTransferLocked => "振込用パスワードの誤入力が規定回数を超えたため、振込用パスワードはロックされています。お取引店にお問い合わせください。", "The transfer password is locked after too many wrong entries. Please contact your branch.";
    ErrWrongOtp => "ワンタイムパスワードが正しくありません。", "The one-time password is wrong.";
    ErrReplayed => "このワンタイムパスワードは使用済みです。次のワンタイムパスワードが表示されるまでお待ちください。", "This one-time password was already used. Wait for the next one.";
    ErrBadFormat => "ワンタイムパスワードは6桁の数字です。", "A one-time password is 6 digits.";
    ErrLocked => "ワンタイムパスワードの誤入力が規定回数を超えたため、トークンはロックされています。お取引店にお問い合わせください。", "The token is locked after too many wrong one-time passwords. Please contact your branch.";
    ErrSerialTypo => "シリアル番号に誤りがあります（入力ミスの可能性があります）。トークンの画面をもう一度ご確認ください。", "The serial number has a typo. Check it again on the token's screen.";
    ErrSerialFormat => "シリアル番号は英字4文字と数字8桁です（例：SKTN 1234 5671）。", "A serial number is 4 letters and 8 digits (e.g. SKTN 1234 5671).";
    ErrUnknownSerial => "このシリアル番号のトークンは見つかりません。取得後、一定期間内に登録されなかったトークンは無効になります。その場合はアプリでトークンを削除し、もう一度取得してください。", "No token has this serial number. A token not registered soon after it was obtained expires: then delete it in the app and obtain a new one.";
    ErrNewTokenRefused => "シリアル番号またはワンタイムパスワードが正しくないか、このトークンは登録できません。アプリに表示されているシリアル番号とワンタイムパスワードをご確認ください。取得後、一定期間内に登録されなかったトークンは無効になります。その場合はアプリでトークンを削除し、もう一度取得してください。", "The serial number or the one-time password is wrong, or this token cannot be registered. Check both on the app's screen. A token not registered soon after it was obtained expires: then delete it in the app and obtain a new one.";
    ErrNewTokenTries => "入力誤りが続いたため、この手続きを終了しました。最初からやり直してください。", "After repeated wrong entries this procedure has ended. Please start again from the beginning.";
    ErrRegisterLocked => "新しいトークンの確認の誤りが続いたため、トークンの登録と交換を停止しています。お取引店にお問い合わせください。", "After repeated wrong entries, registering and exchanging tokens is stopped for your contract. Please contact your branch.";
    ErrSerialTaken => "このトークンは既に登録されているか、利用できない状態です。", "This token is already registered or cannot be used.";
    ErrNotActive => "ご利用中のトークンではありません。", "This is not your token in use.";
    ErrHasToken => "既にトークンが登録されています。機種変更の場合は「トークン交換」を行ってください。", "A token is already registered. For a new phone, use Exchange.";
    ErrNoToken => "ワンタイムパスワードのトークンが登録されていません。先に利用登録を行ってください。", "No token is registered. Register one first.";
    ErrLoginWait => "誤りが続いたため、この端末からのログインを一時的に停止しています。{n}秒ほど待ってから、もう一度お試しください。", "After several wrong entries, logins from this device are paused: wait about {n} seconds, then try again.";
    ErrRate => "操作回数が多すぎます。1分ほど待ってから、もう一度お試しください。", "Too many attempts. Wait a minute, then try again.";
    ErrSession => "セッションの有効期限が切れました。最初からやり直してください。", "The session expired. Please start again.";
    ErrInternal => "システムエラーのため処理を完了できませんでした。お手数ですが、最初からやり直してください。", "A system error stopped the operation. Please start again.";
    ErrBusy => "ただいま混み合っています。処理は行われていません。しばらくしてからもう一度お試しください。", "The service is busy and nothing was done. Please try again shortly.";
    ErrRequest => "ご入力内容を処理できませんでした。最初からやり直してください。", "The request could not be processed. Please start again.";
    ErrorTitle => "エラー", "Error";
    ErrAmount => "金額を正しく入力してください。", "Enter a valid amount.";
    TriesLeft => "あと{n}回誤入力するとロックされます。", "{n} more wrong entries will lock the token.";
    LostPhone => "端末の紛失・アプリの削除の際は、お取引店にご連絡ください。トークンを停止し再発行します。", "If you lose the phone or delete the app, call your branch: the bank stops the token and reissues it.";
}

/// The text for `key` in `lang`.
pub fn t(lang: Lang, key: Key) -> &'static str {
    let (ja, en) = key.words();
    if lang == Lang::Ja {
        ja
    } else {
        en
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_translated() {
        for &key in Key::ALL {
            let (ja, en) = key.words();
            assert!(!ja.is_empty() && !en.is_empty(), "{key:?}");
        }
        assert_eq!(
            t(Lang::Ja, Key::DoneStop),
            "ワンタイムパスワードの利用停止が完了しました。(00001)"
        );
    }
}
