// Words of the UI, Japanese first (in the bank guides' wording) and English. Every key exists in both languages
// (the type of `en` enforces it) and `selfCheck()` also compares their {placeholders}.
//
// Elements show translated text through `setText` (data-i18n="key", data-i18n-args='{"n":3}') and translated
// attributes through `setAttrText` (data-i18n-attr="aria-label=key;placeholder=key2"), so switching the language
// rewrites them in place: nothing is rebuilt and typed input is kept.

export type Lang = "ja" | "en";
export type Params = Record<string, string | number>;

const ja = {
  app_name: "ソフトウェアトークン",
  nav_codes: "ワンタイムパスワード",
  nav_add: "トークンの追加",
  nav_settings: "設定",
  nav_lang: "EN",
  nav_lang_aria: "EN（English に切り替える）",
  nav_label: "メニュー",
  loading: "読み込み中…",
  retry: "再試行",
  start_failed: "アプリを開始できませんでした。",
  error_detail: "詳細",
  busy: "処理中…",

  vault_title: "パスフレーズでトークンを保護",
  vault_keychain_unavailable: "この端末では OS のキーチェーン（パスワードを安全に保管する仕組み）を利用できません。",
  vault_technical_details: "技術的な詳細（お問い合わせの際にお伝えください）",
  vault_file_explain:
    "代わりに、トークンをパスフレーズで暗号化したファイルに保管します。アプリを起動するたびにパスフレーズが必要です。パスフレーズを忘れるとトークンを取り出せず、金融機関での再発行が必要になります。",
  vault_unlock_intro: "パスフレーズを入力して、保存されているトークンを開いてください。",
  vault_create_intro: "新しいパスフレーズ（8文字以上）を決めて、確認のため2回入力してください。",
  vault_passphrase: "パスフレーズ",
  vault_passphrase_new: "新しいパスフレーズ",
  vault_passphrase2: "新しいパスフレーズ（確認）",
  vault_unlock: "解除",
  vault_create: "作成",

  codes_title: "ワンタイムパスワード",
  codes_empty_title: "トークンがありません",
  codes_empty_body: "「トークンの追加」から、金融機関のソフトウェアトークンを追加してください。",
  codes_empty_button: "トークンの追加",
  code_copy_hint: "クリック／タップでコピー",
  code_copy_aria: "ワンタイムパスワードをコピー",
  code_stale: "更新中",
  seconds_unit: "秒で次のコード",
  next_code: "次のコード",
  prev_code: "前のコード",
  copied: "コピーしました（{n}秒後にクリップボードから消去）",
  copied_no_clear: "コピーしました",
  copy_pick: "コピーするワンタイムパスワードをクリックしてください",
  token_serial: "シリアル番号",
  token_delete: "削除",
  hotp_show: "コードを表示",
  hotp_note: "カウンター方式のトークンです。押すたびに新しいコードを表示します。",
  tester_banner: "テストモード: 時計 {shift} 秒",
  no_name: "（名前なし）",

  serial_title: "シリアル番号",
  serial_added: "トークンを追加しました",
  serial_added_body: "最後に、インターネットバンキングでこのトークンの利用登録を行ってください。",
  serial_label: "シリアル番号（トークンID）",
  serial_copy: "コピー",
  serial_copied: "シリアル番号をコピーしました",
  serial_selected: "シリアル番号を選択しました。Ctrl+C でコピーしてください",
  serial_qr_alt: "シリアル番号の QR コード",
  serial_none: "このトークンにはシリアル番号がありません",
  serial_steps_title: "ワンタイムパスワードの利用登録",
  serial_steps_intro: "以下は、信用金庫のインターネットバンキングでの手順です。",
  serial_step1: "インターネットバンキングに「契約者ID」と「ログインパスワード」を入力してログインします。",
  serial_step2: "「ワンタイムパスワード利用登録」を開きます。",
  serial_step3:
    "この画面の「シリアル番号」と、アプリに表示されている「ワンタイムパスワード」を入力し、「登録」ボタンを押します。",
  serial_step4:
    "以上でご利用登録操作は完了です。次回より、振込や収納サービス等の各種お取引の際にワンタイムパスワードが必要となります。",
  serial_exchange_title: "スマートフォンを買い換えたとき（トークンの交換）",
  serial_exchange_body:
    "インターネットバンキングの「交換」で、現在ご利用中のトークン（旧端末）のワンタイムパスワードを入力したあと、新しいトークンの「シリアル番号」と「ワンタイムパスワード」を入力し、「登録」ボタンを押してください。",
  serial_exchange_warn:
    "新しいトークンの利用登録が完了するまでは、旧端末のソフトウェアトークンを削除（アンインストール）しないで下さい。",
  serial_done: "完了",

  lock_title: "ロック中",
  lock_body:
    "ワンタイムパスワードを表示するには、指紋・顔認証、または端末のロック解除（PIN・パターン・パスワード）で本人確認をしてください。",
  lock_unlock: "ロックを解除",
  lock_turned_off: "この端末には画面ロックが設定されていないため、アプリのロックをオフにしました。",

  link_title: "トークンの発行の確認",
  link_intro: "このリンクは、次のトークンサービスから新しいトークンを受け取ろうとしています。",
  link_server: "接続先の URL",
  link_known: "このアプリに設定されているトークンサービスです。",
  link_warning:
    "ご注意ください。これは、このアプリに設定されているトークンサービス（{expected}）ではありません。メール・SMS や見知らぬ QR コードのリンクは、フィッシング詐欺の可能性があります。金融機関から案内された場合を除き、続けないでください。",
  link_continue: "続ける",
  link_continue_anyway: "それでも続ける",
  link_cancel: "キャンセル",
  link_refused_title: "このリンクは使えません",
  link_close: "閉じる",

  scan_title: "QRコードの読み取り",
  scan_hint: "金融機関から受け取った QR コードを、枠の中に写してください。",
  scan_cancel: "キャンセル",

  add_title: "トークンの追加",
  add_scan_title: "カメラで読み取る",
  add_scan_body: "金融機関から受け取ったトークンの QR コードを、カメラで読み取ります。",
  add_scan_button: "QRコードを読み取る",
  add_online_title: "オンラインで取得",
  add_online_body: "金融機関のトークンサービスから、新しいトークンを受け取ります。",
  add_online_service: "接続先",
  add_online_activation: "利用開始コード（お持ちの場合のみ）",
  add_online_submit: "オンラインで取得",
  add_image_title: "QRコード画像",
  add_image_body: "金融機関から受け取ったトークンの QR コード画像（PNG・JPEG）を読み取ります。",
  add_image_choose: "画像ファイルを選択",
  add_image_drop: "またはここに画像をドロップ、Ctrl+V で貼り付け",
  add_image_dragging: "ここにドロップして読み取る",
  add_clipboard: "クリップボードの画像から読み取る",
  add_uri_title: "otpauth URI",
  add_uri_body: "「otpauth://」で始まるトークンのリンクを貼り付けてください。",
  add_uri_label: "otpauth URI",
  add_uri_submit: "追加",
  add_manual_title: "手入力",
  add_manual_body: "金融機関から案内された秘密鍵（英数字）を入力します。",
  manual_issuer: "発行者（金融機関名）",
  manual_account: "アカウント名",
  manual_secret: "秘密鍵（Base32）",
  manual_serial: "シリアル番号（任意）",
  manual_details: "詳細（通常は変更不要）",
  manual_digits: "桁数",
  manual_period: "更新間隔（秒）",
  manual_algorithm: "アルゴリズム",
  manual_submit: "追加",

  delete_title: "トークンの削除",
  delete_lead: "次のトークンを削除しようとしています。",
  delete_serial: "シリアル番号",
  delete_warn_title: "削除する前に必ずお読みください",
  delete_warn_inuse: "インターネットバンキングでご利用中のトークンは削除しないでください。",
  delete_warn_exchange:
    "機種変更の場合は、新しいトークンの利用登録（交換）が完了するまで、旧端末のトークンを削除しないで下さい。",
  delete_warn_stop: "ワンタイムパスワードの利用をやめる場合は、先にインターネットバンキングで「利用停止」を行ってください。",
  delete_warn_final:
    "削除すると元に戻せません。秘密鍵は消去され、再び利用するには金融機関による再発行が必要です。",
  delete_confirm: "削除する",
  delete_cancel: "キャンセル",
  deleted: "トークンを削除しました",

  settings_title: "設定",
  settings_general: "表示とコピー",
  settings_language: "表示言語",
  lang_auto: "自動（OS の言語）",
  lang_ja: "日本語",
  lang_en: "English",
  settings_clipboard: "クリップボードの自動消去（秒）",
  settings_clipboard_help: "コピーしたワンタイムパスワードを消去するまでの秒数（0〜300、0 は消去しない）。",
  settings_service: "トークンサービス",
  settings_service_url: "トークンサービスの URL",
  settings_service_reset: "既定に戻す",
  settings_service_default: "既定: {url}",
  settings_lock_title: "アプリのロック",
  settings_lock: "アプリを開くときと、2分以上離れた後に本人確認を求める",
  settings_lock_help: "指紋・顔認証、または端末の画面ロック（PIN など）で確認します。切り替えるときにも確認します。",
  settings_lock_on: "アプリのロックをオンにしました",
  settings_lock_off: "アプリのロックをオフにしました",
  settings_tester_title: "テストモード（開発・検証用）",
  settings_tester: "テストモードを有効にする（前後のコードを表示）",
  settings_shift: "時計のずれ（秒、-3600〜3600）",
  settings_save: "保存",
  settings_saved: "設定を保存しました",
  clock_title: "時刻の確認",
  clock_body: "ワンタイムパスワードは端末の時計から作られます。トークンサービスの時刻と比べます。",
  clock_check: "時刻を確認",
  clock_ok: "時刻は正確です（差 {n} 秒）",
  clock_bad:
    "端末の時計が {n} 秒ずれています。時計が 10 秒を超えてずれていると、ワンタイムパスワードが受け付けられないことがあります。OS の日付と時刻の設定で時計を合わせてください。",
  about_title: "このアプリについて",
  about_name: "ソフトウェアトークン（softtoken）",
  about_desc: "信用金庫のインターネットバンキングで使う、ワンタイムパスワード生成アプリ（ソフトウェアトークン）です。",
  about_version: "バージョン",
  about_storage: "トークンの保管場所",
  storage_keychain: "OS のキーチェーン",
  storage_file: "暗号化ファイル（パスフレーズ）",
  licences_title: "ライセンス",

  err_unknown: "エラーが発生しました（{code}）。",
  err_bad_uri: "トークンのリンク（otpauth URI）の形式が正しくありません。",
  err_bad_base32: "秘密鍵に使えない文字が含まれています（A〜Z と 2〜7 のみ使えます）。",
  err_secret_too_short: "秘密鍵が短すぎます。入力内容をご確認ください。",
  err_secret_too_long: "秘密鍵が長すぎます。入力内容をご確認ください。",
  err_bad_digits: "桁数は 6・7・8 のいずれかです。",
  err_bad_period: "更新間隔（秒）が正しくありません。",
  err_bad_algorithm: "アルゴリズムは SHA1・SHA256・SHA512 のいずれかです。",
  err_bad_image: "画像を読み込めませんでした。PNG または JPEG の画像をお使いください。",
  err_no_qr_code: "画像から QR コードが見つかりませんでした。QR コード全体がはっきり写った画像をお使いください。",
  err_not_a_token_qr: "QR コードは読み取れましたが、トークン登録用の QR コードではありません。",
  err_duplicate_token: "このトークンは既に追加されています。",
  err_keychain_unavailable: "OS のキーチェーンを利用できません。",
  err_keychain: "OS のキーチェーンの操作に失敗しました。",
  err_seed_missing: "このトークンの秘密鍵が見つかりません。金融機関に再発行をご依頼ください。",
  err_wrong_passphrase: "パスフレーズが正しくありません。",
  err_passphrase_mismatch: "2つのパスフレーズが一致しません。",
  err_passphrase_too_short: "パスフレーズは 8 文字以上にしてください。",
  err_passphrase_required: "パスフレーズを入力してください。",
  err_vault_corrupt: "トークンの保存ファイルが壊れているため、開けません。",
  err_provisioning: "トークンの発行処理に失敗しました。しばらくしてからもう一度お試しください。",
  err_service_unreachable: "トークンサービスに接続できません。ネットワークと、設定のトークンサービス URL をご確認ください。",
  err_service_refused: "トークンサービスが要求を受け付けませんでした。利用開始コードなどをご確認ください。",
  err_bad_service_url: "トークンサービスの URL が正しくありません（https:// で始まる URL を入力してください）。",
  err_token_not_found: "トークンが見つかりません（既に削除された可能性があります）。",
  err_clipboard: "クリップボードを使用できませんでした。",
  err_no_clipboard_image: "クリップボードに画像がありません。QR コードの画像をコピーしてからお試しください。",
  err_no_code_shown: "カウンター方式のトークンです。先に「コードを表示」を押してからコピーしてください。",
  err_store_locked: "トークンの保管ファイルがロックされています。パスフレーズを入力してください。",
  err_io: "ファイルの読み書きに失敗しました。",
  err_bad_serial: "シリアル番号は英字4文字と数字8桁です（例：SKTN 1234 5671）。",
  err_serial_check_digit: "シリアル番号に誤りがあります（入力ミスの可能性があります）。もう一度ご確認ください。",
  err_internal: "予期しないエラーが発生しました。",
  err_app_locked: "アプリがロックされています。ロックを解除してください。",
  err_lock_unavailable: "この端末では本人確認（指紋・顔認証・画面ロック）を利用できません。先に端末の画面ロックを設定してください。",
  err_auth_failed: "本人確認ができませんでした。もう一度お試しください。",
  err_scan_unavailable: "この端末ではカメラで読み取れません。QR コードの画像を選択してください。",
  err_scan_cancelled: "読み取りをキャンセルしました。",
  err_camera_denied: "カメラの使用が許可されていません。端末の設定でカメラを許可するか、QR コードの画像を選択してください。",
  err_scan_failed: "カメラで読み取れませんでした。もう一度お試しいただくか、QR コードの画像を選択してください。",
  err_no_pending_link: "確認待ちのリンクがありません。もう一度リンクを開いてください。",
  err_bad_setting: "設定値が範囲外です。入力内容をご確認ください。",
  err_index_corrupt: "トークンの一覧ファイルが壊れています。",
  err_file_too_large: "トークンの保存ファイルが大きすぎるため、読み込みませんでした。バックアップから戻すか、ファイルを移動してください。",
  err_sealed: "保存されたデータを復号できませんでした。",
  err_bad_time: "端末の時刻が正しくありません。",
  err_ambiguous_token: "該当するトークンが複数あります。",
  err_bad_code_format: "ワンタイムパスワードの形式が正しくありません。",
  err_qr_encode: "QR コードを作成できませんでした。",
  err_pskc: "トークンの配布ファイル（PSKC）を読み込めませんでした。",
} satisfies Record<string, string>;

export type Key = keyof typeof ja;

const en: Record<Key, string> = {
  app_name: "softtoken",
  nav_codes: "Codes",
  nav_add: "Add token",
  nav_settings: "Settings",
  nav_lang: "日本語",
  nav_lang_aria: "日本語 (switch to Japanese)",
  nav_label: "Menu",
  loading: "Loading…",
  retry: "Retry",
  start_failed: "The app could not start.",
  error_detail: "Details",
  busy: "Working…",

  vault_title: "Protect your tokens with a passphrase",
  vault_keychain_unavailable: "The OS keychain (the system's safe place for passwords) is not available on this device.",
  vault_technical_details: "Technical details (for support)",
  vault_file_explain:
    "Instead, your tokens are kept in a file encrypted with a passphrase. You need the passphrase each time the app starts. If you forget it, the tokens cannot be recovered and your bank has to reissue them.",
  vault_unlock_intro: "Enter your passphrase to open your saved tokens.",
  vault_create_intro: "Choose a new passphrase (at least 8 characters) and enter it twice.",
  vault_passphrase: "Passphrase",
  vault_passphrase_new: "New passphrase",
  vault_passphrase2: "New passphrase (again)",
  vault_unlock: "Unlock",
  vault_create: "Create",

  codes_title: "One-time passwords",
  codes_empty_title: "No tokens yet",
  codes_empty_body: "Add your bank's software token under “Add token”.",
  codes_empty_button: "Add token",
  code_copy_hint: "Click or tap to copy",
  code_copy_aria: "Copy the one-time password",
  code_stale: "Updating",
  seconds_unit: "seconds to the next code",
  next_code: "Next:",
  prev_code: "Previous:",
  copied: "Copied (cleared from the clipboard in {n} s)",
  copied_no_clear: "Copied",
  copy_pick: "Click the one-time password you want to copy",
  token_serial: "Serial number",
  token_delete: "Delete",
  hotp_show: "Show code",
  hotp_note: "A counter-based token: each press shows a new code.",
  tester_banner: "Tester mode: clock {shift} s",
  no_name: "(no name)",

  serial_title: "Serial number",
  serial_added: "Token added",
  serial_added_body: "One more step: register this token in your internet banking.",
  serial_label: "Serial number (token ID)",
  serial_copy: "Copy",
  serial_copied: "Serial number copied",
  serial_selected: "Serial number selected: press Ctrl+C to copy it",
  serial_qr_alt: "QR code of the serial number",
  serial_none: "This token has no serial number",
  serial_steps_title: "Register the token (利用登録)",
  serial_steps_intro: "These are the steps in your shinkin bank's internet banking.",
  serial_step1: "Log in to internet banking with your contract ID (契約者ID) and login password (ログインパスワード).",
  serial_step2: "Open “Register a one-time password token” (ワンタイムパスワード利用登録).",
  serial_step3:
    "Enter the serial number shown here and the one-time password the app shows now, then press Register (登録).",
  serial_step4:
    "That's all. From now on, transfers and other transactions ask for a one-time password.",
  serial_exchange_title: "When you change phones (exchange, 交換)",
  serial_exchange_body:
    "In internet banking, choose Exchange (交換), enter the one-time password of the token you use now (the old phone), then the new token's serial number and one-time password, and press Register (登録).",
  serial_exchange_warn:
    "Do not delete (uninstall) the token on the old phone until the new token is registered.",
  serial_done: "Done",

  lock_title: "softtoken is locked",
  lock_body:
    "To show your one-time passwords, confirm that it is you: your fingerprint, your face, or the phone's screen lock (PIN, pattern or password).",
  lock_unlock: "Unlock",
  lock_turned_off: "This device has no screen lock any more, so the app lock was turned off.",

  link_title: "Get a token from this link?",
  link_intro: "This link asks softtoken to get a new token from this token service:",
  link_server: "Address",
  link_known: "This is the token service this app is set up for.",
  link_warning:
    "Careful: this is not the token service this app is set up for ({expected}). Links in mails, text messages or unknown QR codes may be phishing. Do not continue unless your bank told you to use this address.",
  link_continue: "Continue",
  link_continue_anyway: "Continue anyway",
  link_cancel: "Cancel",
  link_refused_title: "This link cannot be used",
  link_close: "Close",

  scan_title: "Scan the QR code",
  scan_hint: "Hold the QR code from your bank inside the frame.",
  scan_cancel: "Cancel",

  add_title: "Add a token",
  add_scan_title: "Scan with the camera",
  add_scan_body: "Read the QR code of the token your bank gave you with the camera.",
  add_scan_button: "Scan a QR code",
  add_online_title: "Get a token online",
  add_online_body: "Receive a new token from your bank's token service.",
  add_online_service: "Service",
  add_online_activation: "Activation code (only if you have one)",
  add_online_submit: "Get a token online",
  add_image_title: "QR code image",
  add_image_body: "Read the token's QR code image (PNG or JPEG) that your bank gave you.",
  add_image_choose: "Choose an image file",
  add_image_drop: "or drop an image here, or paste it with Ctrl+V",
  add_image_dragging: "Drop here to read it",
  add_clipboard: "Read the image on the clipboard",
  add_uri_title: "otpauth URI",
  add_uri_body: "Paste the token's link that starts with “otpauth://”.",
  add_uri_label: "otpauth URI",
  add_uri_submit: "Add",
  add_manual_title: "Enter manually",
  add_manual_body: "Type the secret key (letters and digits) your bank gave you.",
  manual_issuer: "Issuer (bank)",
  manual_account: "Account name",
  manual_secret: "Secret key (Base32)",
  manual_serial: "Serial number (optional)",
  manual_details: "Details (usually leave as they are)",
  manual_digits: "Digits",
  manual_period: "Period (seconds)",
  manual_algorithm: "Algorithm",
  manual_submit: "Add",

  delete_title: "Delete the token",
  delete_lead: "You are about to delete this token:",
  delete_serial: "Serial number",
  delete_warn_title: "Please read before deleting",
  delete_warn_inuse: "Do not delete a token that your bank still uses for internet banking.",
  delete_warn_exchange:
    "If you are changing phones, do not delete the old token until the new token is registered (exchange, 交換).",
  delete_warn_stop: "To stop using one-time passwords, first stop them (利用停止) in internet banking.",
  delete_warn_final:
    "Deleting cannot be undone: the secret key is erased, and your bank has to reissue the token before you can use it again.",
  delete_confirm: "Delete",
  delete_cancel: "Cancel",
  deleted: "Token deleted",

  settings_title: "Settings",
  settings_general: "Display and copying",
  settings_language: "Language",
  lang_auto: "Automatic (OS language)",
  lang_ja: "日本語",
  lang_en: "English",
  settings_clipboard: "Clear the clipboard after (seconds)",
  settings_clipboard_help: "Seconds until a copied one-time password is removed (0–300; 0: never).",
  settings_service: "Token service",
  settings_service_url: "Token service URL",
  settings_service_reset: "Reset to default",
  settings_service_default: "Default: {url}",
  settings_lock_title: "App lock",
  settings_lock: "Ask for my fingerprint, face or screen lock when the app opens and after 2 minutes away",
  settings_lock_help: "Checked with your fingerprint, your face or the phone's screen lock (PIN and so on), also when you switch it.",
  settings_lock_on: "The app lock is on",
  settings_lock_off: "The app lock is off",
  settings_tester_title: "Tester mode (development and testing)",
  settings_tester: "Enable tester mode (shows previous and next codes)",
  settings_shift: "Clock shift (seconds, -3600 to 3600)",
  settings_save: "Save",
  settings_saved: "Settings saved",
  clock_title: "Clock check",
  clock_body: "One-time passwords are made from this device's clock. This compares it with the token service's clock.",
  clock_check: "Check the clock",
  clock_ok: "The clock is accurate (off by {n} s)",
  clock_bad:
    "This device's clock is off by {n} s. When the clock differs by more than 10 s, one-time passwords may be refused: set the correct time in the OS date and time settings.",
  about_title: "About",
  about_name: "softtoken — software token",
  about_desc: "A one-time password app (software token) for shinkin banks' internet banking.",
  about_version: "Version",
  about_storage: "Where tokens are kept",
  storage_keychain: "OS keychain",
  storage_file: "Encrypted file (passphrase)",
  licences_title: "Licences",

  err_unknown: "An error occurred ({code}).",
  err_bad_uri: "The token link (otpauth URI) is not valid.",
  err_bad_base32: "The secret key has characters that are not allowed (only A–Z and 2–7).",
  err_secret_too_short: "The secret key is too short. Please check what you entered.",
  err_secret_too_long: "The secret key is too long. Please check what you entered.",
  err_bad_digits: "Digits must be 6, 7 or 8.",
  err_bad_period: "The period (seconds) is not valid.",
  err_bad_algorithm: "The algorithm must be SHA1, SHA256 or SHA512.",
  err_bad_image: "The image could not be read. Please use a PNG or JPEG image.",
  err_no_qr_code: "No QR code was found in the image. Use an image that shows the whole QR code clearly.",
  err_not_a_token_qr: "A QR code was read, but it is not a QR code for adding a token.",
  err_duplicate_token: "This token has already been added.",
  err_keychain_unavailable: "The OS keychain is not available.",
  err_keychain: "The OS keychain reported an error.",
  err_seed_missing: "This token's secret key is missing. Please ask your bank to reissue the token.",
  err_wrong_passphrase: "The passphrase is wrong.",
  err_passphrase_mismatch: "The two passphrases do not match.",
  err_passphrase_too_short: "The passphrase must have at least 8 characters.",
  err_passphrase_required: "Please enter the passphrase.",
  err_vault_corrupt: "The token file is damaged and cannot be opened.",
  err_provisioning: "Getting the token failed. Please try again later.",
  err_service_unreachable: "Cannot reach the token service. Check the network and the token service URL in Settings.",
  err_service_refused: "The token service refused the request. Check the activation code.",
  err_bad_service_url: "The token service URL is not valid (enter a URL starting with https://).",
  err_token_not_found: "The token was not found (it may have been deleted).",
  err_clipboard: "The clipboard could not be used.",
  err_no_clipboard_image: "There is no image on the clipboard. Copy the QR code image first.",
  err_no_code_shown: "This is a counter-based token: press “Show code” first, then copy it.",
  err_store_locked: "The token file is locked. Enter its passphrase first.",
  err_io: "Reading or writing a file failed.",
  err_bad_serial: "A serial number is 4 letters and 8 digits (e.g. SKTN 1234 5671).",
  err_serial_check_digit: "The serial number has a typo (its check digit does not match). Please check it again.",
  err_internal: "An unexpected error occurred.",
  err_app_locked: "The app is locked. Unlock it first.",
  err_lock_unavailable: "This device offers no fingerprint, face or screen-lock check. Set up a screen lock first.",
  err_auth_failed: "It could not be confirmed that it is you. Please try again.",
  err_scan_unavailable: "This device cannot scan with a camera. Choose the QR code's image instead.",
  err_scan_cancelled: "The scan was cancelled.",
  err_camera_denied: "softtoken may not use the camera. Allow it in the system settings, or choose the QR code's image.",
  err_scan_failed: "The camera could not read the code. Try again, or choose the QR code's image.",
  err_no_pending_link: "No link is waiting. Open the link again.",
  err_bad_setting: "A setting is out of range. Please check what you entered.",
  err_index_corrupt: "The token list file is damaged.",
  err_file_too_large: "The token file is too large to be read. Restore it from a backup or move it away.",
  err_sealed: "The saved data could not be decrypted.",
  err_bad_time: "This device's time is not valid.",
  err_ambiguous_token: "More than one token matches.",
  err_bad_code_format: "The one-time password is not in the right format.",
  err_qr_encode: "The QR code could not be made.",
  err_pskc: "The token file (PSKC) could not be read.",
};

const dictionaries: Record<Lang, Record<Key, string>> = { ja, en };

/** Error codes the UI has its own words for (Rust's codes and the UI's own). */
export const ERROR_CODES = [
  "bad_uri", "bad_base32", "secret_too_short", "secret_too_long", "bad_digits", "bad_period", "bad_algorithm",
  "bad_image", "no_qr_code", "not_a_token_qr", "duplicate_token", "keychain_unavailable", "keychain", "seed_missing",
  "wrong_passphrase", "passphrase_mismatch", "passphrase_too_short", "passphrase_required", "vault_corrupt",
  "provisioning", "service_unreachable", "service_refused", "bad_service_url", "token_not_found", "clipboard",
  "no_clipboard_image", "io", "bad_serial", "serial_check_digit", "internal", "bad_setting", "index_corrupt", "file_too_large", "sealed",
  "bad_time", "ambiguous_token", "bad_code_format", "qr_encode", "pskc", "no_code_shown", "store_locked",
  "app_locked", "lock_unavailable", "auth_failed", "scan_unavailable", "scan_cancelled", "camera_denied", "scan_failed",
  "no_pending_link",
] as const;

let current: Lang = "ja";
const listeners: Array<(lang: Lang) => void> = [];

export function lang(): Lang {
  return current;
}

export function isKey(key: string): key is Key {
  return Object.prototype.hasOwnProperty.call(ja, key);
}

/** The text of `key` in the current language, {name} placeholders filled from `params`. */
export function t(key: Key, params?: Params): string {
  const text = dictionaries[current][key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** The localized sentence for an error code (the UI's generic sentence with the code for unknown codes). */
export function errorText(code: string): string {
  const key = `err_${code}`;
  return isKey(key) ? t(key) : t("err_unknown", { code });
}

/** Sets `el`'s text to `key` now and again after every language switch. Use on leaf elements only. */
export function setText(el: HTMLElement, key: Key, params?: Params): void {
  el.dataset.i18n = key;
  if (params) el.dataset.i18nArgs = JSON.stringify(params);
  else delete el.dataset.i18nArgs;
  el.textContent = t(key, params);
}

/** Sets attribute `attr` of `el` to `key`'s text, now and after every language switch. */
export function setAttrText(el: Element, attr: string, key: Key, params?: Params): void {
  const map = parseAttrMap(el.getAttribute("data-i18n-attr"));
  map.set(attr, { key, params });
  el.setAttribute(
    "data-i18n-attr",
    JSON.stringify([...map].map(([a, v]) => [a, v.key, v.params ?? null])),
  );
  el.setAttribute(attr, t(key, params));
}

function parseAttrMap(raw: string | null): Map<string, { key: Key; params?: Params }> {
  const map = new Map<string, { key: Key; params?: Params }>();
  if (!raw) return map;
  for (const [attr, key, params] of JSON.parse(raw) as Array<[string, string, Params | null]>) {
    if (isKey(key)) map.set(attr, { key, params: params ?? undefined });
  }
  return map;
}

/** Rewrites every translated text and attribute under `root`. */
function retranslate(root: ParentNode): void {
  root.querySelectorAll<HTMLElement>("[data-i18n]").forEach((el) => {
    const key = el.dataset.i18n ?? "";
    if (!isKey(key)) return;
    const args = el.dataset.i18nArgs;
    el.textContent = t(key, args ? (JSON.parse(args) as Params) : undefined);
  });
  root.querySelectorAll("[data-i18n-attr]").forEach((el) => {
    for (const [attr, v] of parseAttrMap(el.getAttribute("data-i18n-attr"))) el.setAttribute(attr, t(v.key, v.params));
  });
}

/** Switches the language: <html lang>, body[data-lang], every translated element, then the listeners. */
export function setLang(next: Lang): void {
  const changed = next !== current || document.body.dataset.lang !== next;
  current = next;
  document.documentElement.lang = next;
  document.body.dataset.lang = next;
  document.title = t("app_name");
  if (!changed) return;
  retranslate(document);
  for (const fn of listeners) fn(next);
}

/** Calls `fn` after every language switch; returns the function that stops it. */
export function onLangChange(fn: (lang: Lang) => void): () => void {
  listeners.push(fn);
  return () => {
    const i = listeners.indexOf(fn);
    if (i >= 0) listeners.splice(i, 1);
  };
}

/** The language to show: the setting, or for "auto" Japanese when the OS locale is Japanese, else English. */
export function resolveLang(setting: "auto" | Lang, osLocale: string): Lang {
  if (setting === "ja" || setting === "en") return setting;
  return osLocale.trim().toLowerCase().startsWith("ja") ? "ja" : "en";
}

/** A tiny self-check: both languages have every key, non-empty, with the same {placeholders}; every error code
 * has a sentence. Returns the problems found (none: an empty list). */
export function selfCheck(): string[] {
  const problems: string[] = [];
  const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(",");
  const keys = new Set<string>([...Object.keys(ja), ...Object.keys(en)]);
  for (const key of keys) {
    const a = (ja as Record<string, string>)[key];
    const b = (en as Record<string, string>)[key];
    if (!a || !a.trim()) problems.push(`ja is missing ${key}`);
    if (!b || !b.trim()) problems.push(`en is missing ${key}`);
    if (a && b && placeholders(a) !== placeholders(b)) problems.push(`placeholders differ in ${key}`);
  }
  for (const code of ERROR_CODES) if (!isKey(`err_${code}`)) problems.push(`no sentence for error ${code}`);
  return problems;
}
