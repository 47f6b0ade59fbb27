#!/usr/bin/env bash
# The Android emulator smoke run of .github/workflows/mobile.yml: install the debug APK, launch the app, and check
# that it stays up with its UI on screen. Output (logcat, the accessibility tree, a screenshot) in
# target/android-smoke/. The screenshot of the app is black: MainActivity sets FLAG_SECURE, as it must; the UI's
# text is read from the accessibility tree (uiautomator), which WebView exposes.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/android-smoke
mkdir -p "$out"
apk=$(ls gen/android/app/build/outputs/apk/universal/debug/*.apk | head -n 1)
adb wait-for-device
adb install -r "$apk"
adb logcat -c
adb shell am start -W -n jp.softtoken.app/.MainActivity
ok=0
for _ in $(seq 60); do
  sleep 2
  adb shell pidof jp.softtoken.app >/dev/null || { echo "android-smoke: the app is not running"; break; }
  adb shell uiautomator dump /sdcard/ui.xml >/dev/null 2>&1 || continue
  adb pull /sdcard/ui.xml "$out/ui.xml" >/dev/null
  # The code screen (ワンタイムパスワード / トークン) or, without a keychain, the vault screen: Japanese or English.
  if grep -q -e 'トークン' -e 'ワンタイム' -e 'token' -e 'Token' "$out/ui.xml"; then ok=1; break; fi
done
adb exec-out screencap -p >"$out/screen.png" || true
adb logcat -d >"$out/logcat.txt" || true
if grep -q -e 'FATAL EXCEPTION' -e 'panicked at' "$out/logcat.txt"; then
  grep -A20 -e 'FATAL EXCEPTION' -e 'panicked at' "$out/logcat.txt" | head -60
  ok=0
fi
[ "$ok" = 1 ] || { echo "android-smoke: no softtoken UI on screen (see $out/)"; exit 1; }
echo "android-smoke: the app started and shows its UI"
