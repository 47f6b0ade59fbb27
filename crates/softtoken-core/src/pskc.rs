//! PSKC (RFC 6030) import: a token vendor's or bank's key file in, tokens out. Pure: bytes in, no filesystem,
//! network or clock.
//!
//! What is read, per `KeyPackage` (namespaces are matched by URI, never by prefix):
//! - `Key@Algorithm`: TOTP (`urn:ietf:params:xml:ns:keyprov:pskc:totp` or `…pskc#totp`) or HOTP (`…pskc:hotp` or
//!   `…pskc#hotp`); anything else (OCRA, PIN, vendor algorithms) refuses the file.
//! - serial: `DeviceInfo/SerialNo`, else `Key@Id`; one of ours (`SKTN 1234 5671`) is stored canonical. Two keys
//!   with the same serial refuse the file.
//! - `Key/Issuer`; `AlgorithmParameters/Suite` names the hash (`SHA1`, `HMAC-SHA256`, …; SHA1 when absent);
//!   `AlgorithmParameters/ResponseFormat@Length` the digits (6 to 8, default 6), `@Encoding` must be `DECIMAL`,
//!   `@CheckDigits` must not be true.
//! - `Data/Secret` (base64 `PlainValue`, whitespace ignored, or an `EncryptedValue`), at least 80 bits.
//! - HOTP: `Data/Counter` (default 0). TOTP: `Data/TimeInterval` (the period, default 30), `Data/Time` (T0: only 0
//!   is supported, as every authenticator app assumes), `Data/TimeDrift` (the device's drift in time steps, kept
//!   as [`PskcKey::time_offset_steps`]). Integers are decimal `PlainValue`s or `EncryptedValue`s holding ASCII
//!   digits or a big-endian number; all four are read (and MAC-checked) whether or not the key's kind uses them.
//! - Ignored: `Policy` (dates, PIN policy, key usage), `CryptoModuleInfo`, `ds:Signature` (not verified), unknown
//!   elements.
//!
//! Encryption: only a pre-shared AES-128 key ([`Protection::PreSharedKey`]; `EncryptionKey/ds:KeyName` is just its
//! label). Values are `xenc#aes128-cbc`: base64 of IV (16 bytes) || CBC ciphertext, PKCS#7 padded. The MAC key is
//! `MACMethod/MACKey`, encrypted with the same pre-shared key; every `EncryptedValue` must have a `ValueMAC` =
//! HMAC-SHA1(MAC key, IV || ciphertext), which is checked in constant time *before* the value is decrypted. A file
//! with encrypted values but no `MACMethod` is refused, as are password-based (PBKDF2) and certificate-encrypted
//! files. Note that PSKC authenticates only the encrypted values: serials, digits and plain counters are not
//! protected by the MAC.
//!
//! All or nothing: one bad key refuses the whole file with [`Error::Pskc`], whose message names the key (its
//! position and `Id`) and what is wrong, never secret material. The input is bounded ([`MAX_PSKC_BYTES`],
//! [`MAX_KEYS`], nesting depth, elements per key), no DTD is processed (a `DOCTYPE` refuses the file) and only the
//! five predefined XML entities and character references are understood, so there are no external entities.

use std::collections::HashMap;
use std::fmt;

use aes::Aes128;
use cbc::cipher::{block_padding::Pkcs7, BlockModeDecrypt, KeyIvInit};
use hmac::{Hmac, KeyInit, Mac};
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use sha1::Sha1;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::otp::{Algorithm, Digits, Params, Period};
use crate::seed::Seed;
use crate::serial::Serial;
use crate::uri::OtpKind;

/// The largest PSKC file read (10 MiB; an encrypted key takes about 1.5 KiB).
pub const MAX_PSKC_BYTES: usize = 10 * 1024 * 1024;
/// The most keys (`KeyPackage`s) one file may hold.
pub const MAX_KEYS: usize = 100_000;
/// Deepest element nesting accepted (RFC 6030 files need 8; signatures a few more).
const MAX_DEPTH: usize = 32;
/// Most elements inside one `KeyPackage` (or other child of `KeyContainer`); a real one has about 20.
const MAX_ELEMENTS_PER_ITEM: usize = 10_000;
/// Longest serial number accepted.
const MAX_SERIAL_CHARS: usize = 64;
/// Attributes one element may carry (PSKC's have at most three): more is not a key file.
const MAX_ATTRIBUTES: usize = 32;
/// Text one element may hold (a key's values are a few hundred bytes of base64).
const MAX_TEXT_BYTES: usize = 64 * 1024;

const NS_PSKC: &str = "urn:ietf:params:xml:ns:keyprov:pskc";
const NS_PSKC_DRAFT: &str = "urn:ietf:params:xml:ns:keyprov:pskc:1.0";
const NS_DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const NS_XENC: &str = "http://www.w3.org/2001/04/xmlenc#";
const NS_XENC11: &str = "http://www.w3.org/2009/xmlenc11#";

const TOTP_URIS: [&str; 2] = [
    "urn:ietf:params:xml:ns:keyprov:pskc:totp",
    "urn:ietf:params:xml:ns:keyprov:pskc#totp",
];
const HOTP_URIS: [&str; 2] = [
    "urn:ietf:params:xml:ns:keyprov:pskc:hotp",
    "urn:ietf:params:xml:ns:keyprov:pskc#hotp",
];
const AES128_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes128-cbc";
const HMAC_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#hmac-sha1";

/// The one message for a failed MAC check and a failed decryption, so the two cannot be told apart.
const WRONG_KEY: &str = "the pre-shared key is wrong or the file was altered";

/// One key read from a PSKC file, ready to be stored or provisioned.
#[derive(Debug)]
pub struct PskcKey {
    /// `DeviceInfo/SerialNo`, else `Key@Id`; canonical (`SKTN12345671`) if it is one of our serials.
    pub serial: String,
    /// `Key/Issuer`, if given.
    pub issuer: Option<String>,
    /// TOTP with its period, or HOTP with its counter.
    pub kind: OtpKind,
    /// Hash and digits.
    pub params: Params,
    /// The shared secret (its `Debug` shows only the length).
    pub seed: Seed,
    /// `Data/TimeDrift`: how many time steps the device's clock is off (negative: slow). 0 for HOTP.
    pub time_offset_steps: i64,
}

/// How the file's encrypted values are protected.
#[derive(Clone, Copy)]
pub enum Protection<'a> {
    /// No key: only files with plain values can be read.
    None,
    /// The 16-byte AES-128 key agreed with the file's sender out of band (RFC 6030 §6.1). A file with plain
    /// values is read with or without it.
    PreSharedKey(&'a [u8]),
}

impl fmt::Debug for Protection<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Protection::None => f.write_str("None"),
            Protection::PreSharedKey(k) => write!(f, "PreSharedKey([redacted; {} bytes])", k.len()),
        }
    }
}

/// Reads a pre-shared key typed or configured as 32 hex digits (spaces, colons and hyphens ignored), as
/// privacyIDEA and token vendors hand them out.
///
/// # Errors
/// [`Error::Pskc`] if it is not 16 bytes of hex.
pub fn pre_shared_key_from_hex(text: &str) -> Result<Zeroizing<Vec<u8>>> {
    let clean: Zeroizing<String> = Zeroizing::new(
        text.chars()
            .filter(|c| !matches!(c, ' ' | '\t' | '\r' | '\n' | ':' | '-'))
            .map(|c| c.to_ascii_uppercase())
            .collect(),
    );
    let key = Zeroizing::new(
        data_encoding::HEXUPPER
            .decode(clean.as_bytes())
            .map_err(|_| refused("the pre-shared key must be written as 32 hex digits (0-9, A-F)"))?,
    );
    if key.len() != 16 {
        return Err(refused(format!(
            "the pre-shared key must be 16 bytes (32 hex digits) for AES-128, not {} bytes",
            key.len()
        )));
    }
    Ok(key)
}

/// Reads a PSKC file and returns all its keys, or refuses the whole file.
///
/// # Errors
/// [`Error::Pskc`] for anything wrong with the file or any one key: not PSKC, ill-formed or truncated XML, a
/// `DOCTYPE`, an unsupported algorithm or format, a secret under 80 bits, encrypted values without a pre-shared key,
/// a wrong key or altered file, duplicate serials, too large.
pub fn parse(xml: &[u8], protection: Protection<'_>) -> Result<Vec<PskcKey>> {
    if xml.len() > MAX_PSKC_BYTES {
        return Err(refused(format!(
            "it is {} bytes; at most {MAX_PSKC_BYTES} bytes (10 MiB) are read",
            xml.len()
        )));
    }
    let psk = match protection {
        Protection::None => None,
        Protection::PreSharedKey(k) if k.len() == 16 => Some(k),
        Protection::PreSharedKey(k) => {
            return Err(refused(format!(
                "the pre-shared key must be 16 bytes for AES-128, not {} bytes",
                k.len()
            )))
        }
    };
    let xml = xml.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(xml);
    let text = std::str::from_utf8(xml).map_err(|e| {
        refused(format!(
            "it is not a PSKC file: not UTF-8 text (byte {} is invalid)",
            e.valid_up_to()
        ))
    })?;
    let mut importer = Importer {
        psk,
        seen_encryption_key: false,
        seen_mac_method: false,
        mac_key: None,
        keys: Vec::new(),
        serials: HashMap::new(),
    };
    read_document(text, &mut importer)?;
    if importer.keys.is_empty() {
        return Err(refused("the file contains no keys (no KeyPackage)"));
    }
    Ok(importer.keys)
}

fn refused(reason: impl Into<String>) -> Error {
    Error::Pskc {
        reason: reason.into(),
    }
}

// ------------------------------------------------------------------------------------------------------------
// XML: a streaming reader that builds one small tree per child of KeyContainer and hands it to the importer.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    Pskc,
    PskcDraft,
    Ds,
    Xenc,
    Xenc11,
    Other,
}

impl Ns {
    fn of(res: &ResolveResult<'_>) -> Ns {
        match res {
            ResolveResult::Bound(ns) => match ns.0 {
                NS_PSKC => Ns::Pskc,
                NS_PSKC_DRAFT => Ns::PskcDraft,
                NS_DS => Ns::Ds,
                NS_XENC => Ns::Xenc,
                NS_XENC11 => Ns::Xenc11,
                _ => Ns::Other,
            },
            _ => Ns::Other,
        }
    }
}

/// One element: its namespace, local name, unprefixed attributes, children and text (zeroized: it may be a
/// base64 secret).
struct Element {
    ns: Ns,
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Element>,
    text: Zeroizing<String>,
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The only child `ns:name`, if any; more than one is an error.
    fn child(&self, ns: Ns, name: &str) -> Result<Option<&Element>, String> {
        let mut found = self.children.iter().filter(|c| c.ns == ns && c.name == name);
        let first = found.next();
        if found.next().is_some() {
            return Err(format!("<{}> has more than one <{name}>", self.name));
        }
        Ok(first)
    }

    fn has_child(&self, ns: Ns, name: &str) -> bool {
        self.children.iter().any(|c| c.ns == ns && c.name == name)
    }

    fn trimmed(&self) -> &str {
        self.text.trim()
    }
}

fn read_document(text: &str, importer: &mut Importer<'_>) -> Result<()> {
    let mut reader = NsReader::from_str(text);
    reader.resolver_mut().set_max_namespace_bindings(64);
    let mut depth = 0usize;
    let mut seen_root = false;
    let mut root_closed = false;
    // The tree being built for the current child of KeyContainer (stack[0] is that child).
    let mut stack: Vec<Element> = Vec::new();
    let mut elements = 0usize;
    loop {
        let (ns, event) = match reader.read_resolved_event() {
            Ok((res, event)) => (Ns::of(&res), event),
            Err(e) => return Err(xml_error(&e, reader.error_position())),
        };
        let (start, empty) = match event {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            Event::End(_) => (None, true),
            Event::Text(t) => {
                add_text(&mut stack, depth, &t.xml10_content())?;
                continue;
            }
            Event::CData(t) => {
                add_text(&mut stack, depth, &t.xml10_content())?;
                continue;
            }
            Event::GeneralRef(r) => {
                let ch = resolve_reference(&r)?;
                add_text(&mut stack, depth, ch.encode_utf8(&mut [0u8; 4]))?;
                continue;
            }
            Event::Decl(d) => {
                if let Some(enc) = d.encoding() {
                    let enc = enc.map_err(|_| refused("the XML declaration is malformed"))?;
                    if !matches!(enc.to_ascii_lowercase().as_str(), "utf-8" | "utf8") {
                        return Err(refused(
                            "the file declares a character encoding other than UTF-8; PSKC files are read as UTF-8",
                        ));
                    }
                }
                continue;
            }
            Event::DocType(_) => {
                return Err(refused(
                    "the file has a DOCTYPE declaration; PSKC files never need one, and DTDs and entities are not \
                     processed",
                ))
            }
            Event::Comment(_) | Event::PI(_) => continue,
            Event::Eof => break,
        };
        if let Some(e) = start {
            if depth == 0 {
                if root_closed {
                    return Err(refused(
                        "it is not a PSKC file: there is content after the KeyContainer",
                    ));
                }
                check_root(ns, &e)?;
                seen_root = true;
            } else {
                if depth >= MAX_DEPTH {
                    return Err(refused(format!("elements are nested more than {MAX_DEPTH} deep")));
                }
                elements += 1;
                if elements > MAX_ELEMENTS_PER_ITEM {
                    return Err(refused(format!(
                        "a KeyPackage (or other item) has more than {MAX_ELEMENTS_PER_ITEM} elements"
                    )));
                }
                stack.push(new_element(ns, &e)?);
            }
            depth += 1;
        }
        if empty {
            // The end of an element (or an empty element's implicit end).
            depth = depth.saturating_sub(1);
            if depth == 0 {
                root_closed = true;
            } else if let Some(done) = stack.pop() {
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => {
                        elements = 0;
                        importer.item(done)?;
                    }
                }
            }
        }
    }
    if !seen_root {
        return Err(refused(
            "it is not a PSKC file: no KeyContainer element was found (is it XML?)",
        ));
    }
    if !root_closed {
        return Err(refused(
            "the file ends before the KeyContainer is closed (it is truncated)",
        ));
    }
    Ok(())
}

fn check_root(ns: Ns, e: &BytesStart<'_>) -> Result<()> {
    let local = e.local_name();
    let local: &str = local.as_ref();
    match (ns, local) {
        (Ns::Pskc, "KeyContainer") => {}
        (Ns::PskcDraft, _) => {
            return Err(refused(format!(
                "it uses the namespace of a pre-RFC draft ({NS_PSKC_DRAFT}); only RFC 6030 PSKC ({NS_PSKC}) is \
                 supported"
            )))
        }
        _ => {
            return Err(refused(format!(
                "it is not a PSKC file: the root element is not a KeyContainer in the RFC 6030 namespace {NS_PSKC}"
            )))
        }
    }
    let root = new_element(ns, e)?;
    match root.attr("Version").map(str::trim) {
        None | Some("1.0") => Ok(()),
        Some(v) => Err(refused(format!(
            "the KeyContainer is of version '{}'; only version 1.0 (RFC 6030) is supported",
            shown(v)
        ))),
    }
}

fn new_element(ns: Ns, e: &BytesStart<'_>) -> Result<Element> {
    let local = e.local_name();
    let name: &str = local.as_ref();
    let mut attrs = Vec::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|_| {
            refused(format!(
                "an attribute of <{}> is malformed or repeated",
                shown(name)
            ))
        })?;
        let key: &str = attr.key.as_ref();
        // Unprefixed attributes are the only ones PSKC uses; xmlns declarations and foreign attributes are skipped.
        if key.contains(':') || key == "xmlns" {
            continue;
        }
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|_| {
                refused(format!(
                    "the attribute {} of <{}> uses an unknown entity or a bad character reference",
                    shown(key),
                    shown(name)
                ))
            })?;
        if attrs.len() == MAX_ATTRIBUTES {
            return Err(refused(format!(
                "<{}> has more than {MAX_ATTRIBUTES} attributes",
                shown(name)
            )));
        }
        attrs.push((key.to_string(), value.into_owned()));
    }
    Ok(Element {
        ns,
        name: name.to_string(),
        attrs,
        children: Vec::new(),
        text: Zeroizing::new(String::new()),
    })
}

fn add_text(stack: &mut [Element], depth: usize, text: &str) -> Result<()> {
    match stack.last_mut() {
        Some(el) if el.text.len() + text.len() > MAX_TEXT_BYTES => {
            return Err(refused(format!(
                "<{}> holds more than {MAX_TEXT_BYTES} bytes of text",
                shown(&el.name)
            )))
        }
        Some(el) => el.text.push_str(text),
        None if depth == 0 && !text.trim().is_empty() => {
            return Err(refused(
                "it is not a PSKC file: there is text outside the KeyContainer (is it XML?)",
            ))
        }
        None => {}
    }
    Ok(())
}

/// `&amp;`-style references: the five predefined entities and character references; nothing else exists
/// without a DTD.
fn resolve_reference(r: &BytesRef<'_>) -> Result<char> {
    let bad = || {
        refused("the file uses an entity that is not defined (only &amp; &lt; &gt; &apos; &quot; and &#…; are understood)")
    };
    if r.is_char_ref() {
        return r.resolve_char_ref().ok().flatten().ok_or_else(bad);
    }
    let name: &str = r;
    match name {
        "amp" => Ok('&'),
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        _ => Err(bad()),
    }
}

fn xml_error(e: &quick_xml::Error, position: u64) -> Error {
    // Syntax and well-formedness messages are fixed texts and tag names; other errors are summarised so that no
    // file content can reach the message.
    let what = match e {
        quick_xml::Error::Syntax(s) => s.to_string(),
        quick_xml::Error::IllFormed(i) => i.to_string(),
        quick_xml::Error::InvalidAttr(_) => "a malformed attribute".to_string(),
        quick_xml::Error::Escape(_) => "a bad entity or character reference".to_string(),
        quick_xml::Error::Namespace(_) => "a bad namespace prefix or declaration".to_string(),
        quick_xml::Error::Encoding(_) | quick_xml::Error::Io(_) => "unreadable text".to_string(),
    };
    refused(format!(
        "the file is not well-formed XML at byte {position}: {what}"
    ))
}

/// A value from the file as it may appear in a message: at most 64 characters, no control characters.
fn shown(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(64)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if s.chars().count() > 64 {
        out.push('…');
    }
    out
}

// ------------------------------------------------------------------------------------------------------------
// PSKC semantics.

struct Importer<'p> {
    psk: Option<&'p [u8]>,
    seen_encryption_key: bool,
    seen_mac_method: bool,
    /// The decrypted MAC key, once `MACMethod` has been read with a pre-shared key.
    mac_key: Option<Zeroizing<Vec<u8>>>,
    keys: Vec<PskcKey>,
    /// Serial → position (1-based) of the key that has it.
    serials: HashMap<String, usize>,
}

impl Importer<'_> {
    /// One child of `KeyContainer`.
    fn item(&mut self, el: Element) -> Result<()> {
        if el.ns != Ns::Pskc {
            // ds:Signature (not verified) and foreign extensions.
            return Ok(());
        }
        match el.name.as_str() {
            "EncryptionKey" => {
                if self.seen_encryption_key || !self.keys.is_empty() {
                    return Err(refused("EncryptionKey appears twice or after a KeyPackage"));
                }
                self.seen_encryption_key = true;
                encryption_key(&el)
            }
            "MACMethod" => {
                if self.seen_mac_method || !self.keys.is_empty() {
                    return Err(refused("MACMethod appears twice or after a KeyPackage"));
                }
                self.seen_mac_method = true;
                self.mac_method(&el)
                    .map_err(|reason| refused(format!("MACMethod: {reason}")))
            }
            "KeyPackage" => {
                let number = self.keys.len() + 1;
                if number > MAX_KEYS {
                    return Err(refused(format!("the file has more than {MAX_KEYS} keys")));
                }
                let label = key_label(number, &el);
                let key = self
                    .key_package(&el)
                    .map_err(|reason| refused(format!("{label}: {reason}")))?;
                if let Some(other) = self.serials.insert(key.serial.clone(), number) {
                    return Err(refused(format!(
                        "{label}: its serial '{}' is also the serial of key {other}",
                        shown(&key.serial)
                    )));
                }
                self.keys.push(key);
                Ok(())
            }
            // Extensions and elements of later revisions.
            _ => Ok(()),
        }
    }

    fn mac_method(&mut self, el: &Element) -> Result<(), String> {
        let algorithm = el.attr("Algorithm").map(str::trim).unwrap_or_default();
        if algorithm != HMAC_SHA1 {
            return Err(format!(
                "the MAC algorithm '{}' is not supported: only HMAC-SHA1 ({HMAC_SHA1})",
                shown(algorithm)
            ));
        }
        if el.has_child(Ns::Pskc, "MACKeyReference") {
            return Err(
                "a MAC key agreed out of band (MACKeyReference) is not supported; the MACKey must be in the file"
                    .into(),
            );
        }
        let mac_key = el.child(Ns::Pskc, "MACKey")?.ok_or("it has no MACKey")?;
        let encrypted = cipher_value(mac_key, "the MACKey")?;
        if let Some(psk) = self.psk {
            let key = aes128_cbc_decrypt(psk, &encrypted).map_err(|e| e.message("the MACKey"))?;
            if key.is_empty() {
                return Err(WRONG_KEY.into());
            }
            self.mac_key = Some(key);
        }
        Ok(())
    }

    fn key_package(&self, package: &Element) -> Result<PskcKey, String> {
        let key = package
            .child(Ns::Pskc, "Key")?
            .ok_or("the KeyPackage has no Key")?;
        let algorithm = key
            .attr("Algorithm")
            .map(str::trim)
            .ok_or("the Key has no Algorithm attribute")?;
        let is_totp = if TOTP_URIS.contains(&algorithm) {
            true
        } else if HOTP_URIS.contains(&algorithm) {
            false
        } else {
            return Err(format!(
                "the algorithm '{}' is not supported: only TOTP ({}) and HOTP ({}) keys can be imported",
                shown(algorithm),
                TOTP_URIS[0],
                HOTP_URIS[0]
            ));
        };

        let serial_no = match package.child(Ns::Pskc, "DeviceInfo")? {
            Some(device) => device.child(Ns::Pskc, "SerialNo")?.map(Element::trimmed),
            None => None,
        };
        let serial = serial_no
            .filter(|s| !s.is_empty())
            .or_else(|| key.attr("Id").map(str::trim).filter(|s| !s.is_empty()))
            .ok_or("it has no serial number: neither DeviceInfo/SerialNo nor a Key Id")?;
        if serial.chars().count() > MAX_SERIAL_CHARS || serial.chars().any(char::is_control) {
            return Err(format!(
                "the serial number '{}' is longer than {MAX_SERIAL_CHARS} characters or has control characters",
                shown(serial)
            ));
        }
        let serial = Serial::parse(serial).map_or_else(|_| serial.to_string(), String::from);
        let issuer = key
            .child(Ns::Pskc, "Issuer")?
            .map(Element::trimmed)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        if let Some(i) = issuer
            .as_deref()
            .filter(|i| i.len() > crate::uri::MAX_ISSUER_BYTES)
        {
            return Err(format!(
                "its issuer '{}' is longer than {} bytes",
                shown(i),
                crate::uri::MAX_ISSUER_BYTES
            ));
        }

        let params = algorithm_parameters(key.child(Ns::Pskc, "AlgorithmParameters")?)?;

        let data = key
            .child(Ns::Pskc, "Data")?
            .ok_or("the Key has no Data (and so no secret)")?;
        let secret = data
            .child(Ns::Pskc, "Secret")?
            .ok_or("the Key has no Data/Secret")?;
        let secret = self.value_bytes(secret, "the Secret")?;
        let seed = Seed::from_bytes(&secret).map_err(|e| e.to_string())?;

        // Every integer present is read (and, if encrypted, MAC-checked), also those the key's kind does not use.
        let int = |name: &str| -> Result<Option<i64>, String> {
            data.child(Ns::Pskc, name)?
                .map(|el| self.value_int(el, name))
                .transpose()
        };
        let counter = int("Counter")?;
        let time = int("Time")?;
        let interval = int("TimeInterval")?;
        let drift = int("TimeDrift")?;
        let (kind, time_offset_steps) = if is_totp {
            if let Some(t0) = time.filter(|&t| t != 0) {
                return Err(format!(
                    "its Time (T0) is {t0}: only T0 = 0, the Unix epoch that RFC 6238 and every authenticator app \
                     use, is supported"
                ));
            }
            let period = match interval {
                None => Period::THIRTY,
                Some(p) => u64::try_from(p)
                    .ok()
                    .and_then(|p| Period::new(p).ok())
                    .ok_or_else(|| {
                        format!("its TimeInterval {p} is not supported: use 1 to 86400 seconds")
                    })?,
            };
            let drift = drift.unwrap_or(0);
            if i32::try_from(drift).is_err() {
                return Err(format!("its TimeDrift {drift} is out of range"));
            }
            (OtpKind::Totp { period }, drift)
        } else {
            let counter = match counter {
                None => 0,
                Some(c) => u64::try_from(c).map_err(|_| format!("its Counter {c} is negative"))?,
            };
            (OtpKind::Hotp { counter }, 0)
        };

        Ok(PskcKey {
            serial,
            issuer,
            kind,
            params,
            seed,
            time_offset_steps,
        })
    }

    /// The bytes of a value element (`Secret`): base64 `PlainValue`, or MAC-checked and decrypted `EncryptedValue`.
    fn value_bytes(&self, el: &Element, what: &str) -> Result<Zeroizing<Vec<u8>>, String> {
        let plain = el.child(Ns::Pskc, "PlainValue")?;
        let encrypted = el.child(Ns::Pskc, "EncryptedValue")?;
        match (plain, encrypted) {
            (Some(p), None) => base64(p.trimmed())
                .map_err(|reason| format!("{what}'s PlainValue is not valid base64 ({reason})")),
            (None, Some(e)) => self.decrypt_value(el, e, what),
            (Some(_), Some(_)) => Err(format!("{what} has both a PlainValue and an EncryptedValue")),
            (None, None) => Err(format!("{what} has neither a PlainValue nor an EncryptedValue")),
        }
    }

    /// An integer value element (`Counter`, `Time`, `TimeInterval`, `TimeDrift`): a decimal `PlainValue`, or an
    /// `EncryptedValue` of ASCII digits or a big-endian number (both are found in the wild).
    fn value_int(&self, el: &Element, name: &str) -> Result<i64, String> {
        let plain = el.child(Ns::Pskc, "PlainValue")?;
        let encrypted = el.child(Ns::Pskc, "EncryptedValue")?;
        match (plain, encrypted) {
            (Some(p), None) => {
                let text = p.trimmed();
                text.strip_prefix('+')
                    .unwrap_or(text)
                    .parse::<i64>()
                    .map_err(|_| format!("its {name} '{}' is not a whole number", shown(text)))
            }
            (None, Some(e)) => {
                let what = format!("the {name}");
                let bytes = self.decrypt_value(el, e, &what)?;
                decode_int(&bytes).ok_or_else(|| format!("its encrypted {name} is not a number"))
            }
            (Some(_), Some(_)) => Err(format!("its {name} has both a PlainValue and an EncryptedValue")),
            (None, None) => Err(format!(
                "its {name} has neither a PlainValue nor an EncryptedValue"
            )),
        }
    }

    /// Checks the `ValueMAC` of `holder`'s `EncryptedValue` in constant time, then decrypts it.
    fn decrypt_value(
        &self,
        holder: &Element,
        encrypted: &Element,
        what: &str,
    ) -> Result<Zeroizing<Vec<u8>>, String> {
        let psk = self
            .psk
            .ok_or_else(|| format!("{what} is encrypted: a pre-shared key is needed to read this file"))?;
        let ciphertext = cipher_value(encrypted, what)?;
        let mac_key = self.mac_key.as_ref().ok_or_else(|| {
            format!(
                "{what} is encrypted, but the file has no MACMethod with a MACKey to check it against tampering"
            )
        })?;
        let value_mac = holder
            .child(Ns::Pskc, "ValueMAC")?
            .ok_or_else(|| format!("{what} is encrypted but has no ValueMAC"))?;
        let value_mac = base64(value_mac.trimmed())
            .map_err(|reason| format!("{what}'s ValueMAC is not valid base64 ({reason})"))?;
        let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(mac_key).map_err(|_| WRONG_KEY.to_string())?;
        mac.update(&ciphertext);
        mac.verify_slice(&value_mac)
            .map_err(|_| format!("{what}: {WRONG_KEY}"))?;
        aes128_cbc_decrypt(psk, &ciphertext).map_err(|e| e.message(what))
    }
}

/// `key 3 (Id 'abc')`: how messages name a key.
fn key_label(number: usize, package: &Element) -> String {
    let id = package
        .children
        .iter()
        .find(|c| c.ns == Ns::Pskc && c.name == "Key")
        .and_then(|k| k.attr("Id"))
        .map(str::trim)
        .filter(|id| !id.is_empty());
    match id {
        Some(id) => format!("key {number} (Id '{}')", shown(id)),
        None => format!("key {number}"),
    }
}

/// `EncryptionKey`: a pre-shared key's name is fine; password (PBKDF2) and certificate encryption are not supported.
fn encryption_key(el: &Element) -> Result<()> {
    if el.has_child(Ns::Xenc11, "DerivedKey") {
        return Err(refused(
            "the file is encrypted with a key derived from a password (PBKDF2), which is not supported; ask for \
             the file encrypted with a pre-shared AES-128 key",
        ));
    }
    if el.children.iter().any(|c| c.ns == Ns::Ds && c.name != "KeyName") {
        return Err(refused(
            "the file is encrypted to a certificate or public key, which is not supported; ask for the file \
             encrypted with a pre-shared AES-128 key",
        ));
    }
    Ok(())
}

/// `AlgorithmParameters`: `Suite` (hash) and `ResponseFormat` (digits).
fn algorithm_parameters(ap: Option<&Element>) -> Result<Params, String> {
    let Some(ap) = ap else {
        return Ok(Params::default());
    };
    let algorithm = match ap.child(Ns::Pskc, "Suite")?.map(Element::trimmed) {
        None | Some("") => Algorithm::Sha1,
        Some(suite) => suite.parse::<Algorithm>().map_err(|_| {
            format!(
                "the hash '{}' in AlgorithmParameters/Suite is not supported: use SHA1, SHA256 or SHA512",
                shown(suite)
            )
        })?,
    };
    let digits =
        match ap.child(Ns::Pskc, "ResponseFormat")? {
            None => Digits::SIX,
            Some(rf) => {
                if let Some(encoding) = rf.attr("Encoding").map(str::trim) {
                    if !encoding.eq_ignore_ascii_case("DECIMAL") {
                        return Err(format!(
                            "its ResponseFormat Encoding is '{}': only DECIMAL codes are supported",
                            shown(encoding)
                        ));
                    }
                }
                match rf.attr("CheckDigits").map(str::trim) {
                    None | Some("false" | "0") => {}
                    Some("true" | "1") => return Err(
                        "its ResponseFormat has CheckDigits: codes with a Luhn check digit are not supported"
                            .into(),
                    ),
                    Some(other) => {
                        return Err(format!(
                            "its ResponseFormat CheckDigits '{}' is not true or false",
                            shown(other)
                        ))
                    }
                }
                match rf.attr("Length").map(str::trim) {
                    None => Digits::SIX,
                    Some(len) => len
                        .parse::<u32>()
                        .ok()
                        .and_then(|n| Digits::new(n).ok())
                        .ok_or_else(|| {
                            format!(
                            "its ResponseFormat Length '{}' is not supported: codes have 6, 7 or 8 digits",
                            shown(len)
                        )
                        })?,
                }
            }
        };
    Ok(Params { algorithm, digits })
}

/// The decoded `xenc:CipherData/xenc:CipherValue` of an `EncryptedValue` or `MACKey`, whose method must be
/// AES-128-CBC.
fn cipher_value(el: &Element, what: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let method = el
        .child(Ns::Xenc, "EncryptionMethod")?
        .ok_or_else(|| format!("{what} has no EncryptionMethod"))?;
    let algorithm = method.attr("Algorithm").map(str::trim).unwrap_or_default();
    if algorithm != AES128_CBC {
        return Err(format!(
            "{what} is encrypted with '{}', which is not supported: only AES-128-CBC ({AES128_CBC})",
            shown(algorithm)
        ));
    }
    let data = el
        .child(Ns::Xenc, "CipherData")?
        .ok_or_else(|| format!("{what} has no CipherData"))?;
    if data.has_child(Ns::Xenc, "CipherReference") {
        return Err(format!(
            "{what} refers to data outside the file (CipherReference), which is not supported"
        ));
    }
    let value = data
        .child(Ns::Xenc, "CipherValue")?
        .ok_or_else(|| format!("{what} has no CipherValue"))?;
    base64(value.trimmed()).map_err(|reason| format!("{what}'s CipherValue is not valid base64 ({reason})"))
}

enum DecryptError {
    /// Not an IV followed by whole blocks.
    Shape,
    /// Bad padding: the key is wrong or the data was altered.
    Padding,
}

impl DecryptError {
    fn message(&self, what: &str) -> String {
        match self {
            DecryptError::Shape => {
                format!("{what} is not an AES-128-CBC value (a 16-byte IV and whole 16-byte blocks)")
            }
            DecryptError::Padding => format!("{what}: {WRONG_KEY}"),
        }
    }
}

/// AES-128-CBC with the IV prepended and strict PKCS#7 padding (XML Encryption's `aes128-cbc` as PSKC uses it).
fn aes128_cbc_decrypt(key: &[u8], data: &[u8]) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
    if data.len() < 32 || !data.len().is_multiple_of(16) {
        return Err(DecryptError::Shape);
    }
    let (iv, ciphertext) = data.split_at(16);
    let decryptor = cbc::Decryptor::<Aes128>::new_from_slices(key, iv).map_err(|_| DecryptError::Shape)?;
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let len = decryptor
        .decrypt_padded::<Pkcs7>(&mut buf)
        .map_err(|_| DecryptError::Padding)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

/// Base64 with any whitespace inside (RFC 6030's own examples wrap and indent values).
fn base64(text: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let clean: Zeroizing<String> =
        Zeroizing::new(text.chars().filter(|c| !c.is_ascii_whitespace()).collect());
    if clean.is_empty() {
        return Err("it is empty".into());
    }
    data_encoding::BASE64
        .decode(clean.as_bytes())
        .map(Zeroizing::new)
        .map_err(|e| format!("{} at character {}", e.kind, e.position + 1))
}

/// A decrypted integer: ASCII decimal digits (optionally signed), or a big-endian number of up to 8 bytes.
fn decode_int(bytes: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(bytes).ok().map(str::trim);
    if let Some(text) = text {
        let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return text.strip_prefix('+').unwrap_or(text).parse().ok();
        }
    }
    if bytes.is_empty() || bytes.len() > 8 {
        return None;
    }
    let n = bytes.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b));
    i64::try_from(n).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_ignores_whitespace_and_refuses_garbage() {
        assert_eq!(&*base64("MTIz\n   NA==\n").unwrap(), b"1234");
        assert!(base64("MTIzNA=").is_err());
        assert!(base64("   ").is_err());
        assert!(base64("MT!zNA==").unwrap_err().contains("character 3"));
    }

    #[test]
    fn integers_ascii_or_big_endian() {
        assert_eq!(decode_int(b"60"), Some(60));
        assert_eq!(decode_int(b"-2"), Some(-2));
        assert_eq!(decode_int(b"+7"), Some(7));
        assert_eq!(decode_int(&[0x00, 0x06, 0x31, 0x4a]), Some(405_834));
        assert_eq!(decode_int(&[0x00]), Some(0));
        assert_eq!(decode_int(&[]), None);
        assert_eq!(decode_int(&[0xff; 8]), None);
        assert_eq!(decode_int(&[1; 9]), None);
    }

    #[test]
    fn rfc6030_figure6_mac_key_decrypts() {
        // RFC 6030 Figure 6: the MACKey's CipherValue under the PSK 12345678901234567890123456789012.
        let psk = pre_shared_key_from_hex("12345678 90123456 78901234 56789012").unwrap();
        let data = base64("ESIzRFVmd4iZABEiM0RVZgKn6WjLaTC1sbeBMSvIhRejN9vJa2BOlSaMrR7I5wSX").unwrap();
        let key = aes128_cbc_decrypt(&psk, &data).ok().unwrap();
        assert_eq!(
            data_encoding::HEXLOWER.encode(&key),
            "1122334455667788990011223344556677889900"
        );
        // A wrong key almost always breaks the padding.
        let wrong = [0u8; 16];
        assert!(matches!(
            aes128_cbc_decrypt(&wrong, &data),
            Err(DecryptError::Padding)
        ));
        assert!(matches!(
            aes128_cbc_decrypt(&psk, &data[..31]),
            Err(DecryptError::Shape)
        ));
    }

    #[test]
    fn psk_hex_must_be_16_bytes() {
        assert_eq!(
            pre_shared_key_from_hex("12:34:56:78:90:12:34:56:78:90:12:34:56:78:90:12")
                .unwrap()
                .len(),
            16
        );
        assert_eq!(pre_shared_key_from_hex("1234").unwrap_err().code(), "pskc");
        assert_eq!(pre_shared_key_from_hex("xyz").unwrap_err().code(), "pskc");
    }

    #[test]
    fn shown_values_are_short_and_printable() {
        assert_eq!(shown("a\nb"), "a?b");
        assert_eq!(shown(&"x".repeat(100)).chars().count(), 65);
    }

    #[test]
    fn protection_debug_hides_the_key() {
        let key = [0x41u8; 16];
        let dbg = format!("{:?}", Protection::PreSharedKey(&key));
        assert_eq!(dbg, "PreSharedKey([redacted; 16 bytes])");
    }
}
