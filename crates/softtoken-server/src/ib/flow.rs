//! The internet-banking flows by name, and what each needs.

use super::text::Key;

/// The flows under `/ib/{flow}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Login,
    Register,
    Exchange,
    Stop,
    Transfer,
    LoginOtp,
}

impl Flow {
    pub fn parse(s: &str) -> Option<Flow> {
        Some(match s {
            "login" => Flow::Login,
            "register" => Flow::Register,
            "exchange" => Flow::Exchange,
            "stop" => Flow::Stop,
            "transfer" => Flow::Transfer,
            "login-otp" => Flow::LoginOtp,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Flow::Login => "login",
            Flow::Register => "register",
            Flow::Exchange => "exchange",
            Flow::Stop => "stop",
            Flow::Transfer => "transfer",
            Flow::LoginOtp => "login-otp",
        }
    }

    pub fn title(self) -> Key {
        match self {
            Flow::Login => Key::Login,
            Flow::Register => Key::Register,
            Flow::Exchange => Key::Exchange,
            Flow::Stop => Key::Stop,
            Flow::Transfer => Key::Transfer,
            Flow::LoginOtp => Key::LoginOtpSetting,
        }
    }

    /// Flows that need a logged-in session rather than their own first step.
    pub fn needs_login(self) -> bool {
        matches!(self, Flow::Transfer | Flow::LoginOtp)
    }
}
