//! Keeping scripts off the public forms without a CAPTCHA that excludes people: a honeypot
//! field no person sees, and a signed stamp of when the form was shown, so that a form sent
//! back faster than a person can fill it is asked for again.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The honeypot's field name: left empty by people (it is hidden from sight and from assistive
/// technology), filled in by scripts that fill every field.
pub const HONEYPOT_FIELD: &str = "website";

/// A form stamp older than this is stale: the form is shown again with a fresh one.
pub const FORM_STAMP_AGE_MS_MAX: i64 = 24 * 3600 * 1000;

/// What a public form's stamp says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    /// Filled in at a person's pace.
    Fine,
    /// Sent back faster than the minimum, or with a stamp this node did not make or that is
    /// older than a day.
    Refused,
}

fn mac(secret: &[u8], shown_at_ms: i64) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"form-stamp:");
    mac.update(&shown_at_ms.to_be_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// A stamp for a form shown at `now_ms`: the time and the node's signature over it.
pub fn issue_stamp(secret: &[u8], now_ms: i64) -> String {
    format!("{now_ms}.{}", hex::encode(mac(secret, now_ms)))
}

/// Checks a stamp sent back at `now_ms`: made by this node, at least `fill_ms_min` old and
/// at most [`FORM_STAMP_AGE_MS_MAX`].
pub fn check_stamp(secret: &[u8], stamp: &str, now_ms: i64, fill_ms_min: i64) -> Stamp {
    let Some((time, signature)) = stamp.split_once('.') else {
        return Stamp::Refused;
    };
    let (Ok(shown_at_ms), Ok(signature)) = (time.parse::<i64>(), hex::decode(signature)) else {
        return Stamp::Refused;
    };
    let genuine: bool = mac(secret, shown_at_ms).ct_eq(&signature).into();
    let age_ms = now_ms.saturating_sub(shown_at_ms);
    if genuine && age_ms >= fill_ms_min && age_ms <= FORM_STAMP_AGE_MS_MAX {
        Stamp::Fine
    } else {
        Stamp::Refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a node's secret";

    #[test]
    fn a_form_sent_back_at_a_persons_pace_passes() {
        let stamp = issue_stamp(SECRET, 1_000_000);
        assert_eq!(check_stamp(SECRET, &stamp, 1_004_000, 3_000), Stamp::Fine);
    }

    #[test]
    fn a_form_sent_back_too_fast_too_late_or_with_a_forged_stamp_is_refused() {
        let stamp = issue_stamp(SECRET, 1_000_000);
        assert_eq!(
            check_stamp(SECRET, &stamp, 1_001_000, 3_000),
            Stamp::Refused
        );
        let late = 1_000_000 + FORM_STAMP_AGE_MS_MAX + 1;
        assert_eq!(check_stamp(SECRET, &stamp, late, 3_000), Stamp::Refused);
        assert_eq!(
            check_stamp(b"another node", &stamp, 1_004_000, 3_000),
            Stamp::Refused
        );
        let moved = stamp.replacen("1000000", "990000", 1);
        assert_eq!(
            check_stamp(SECRET, &moved, 1_004_000, 3_000),
            Stamp::Refused
        );
        for junk in ["", ".", "12", "x.y", "1.zz", "-5.00"] {
            assert_eq!(
                check_stamp(SECRET, junk, 1_004_000, 0),
                Stamp::Refused,
                "{junk:?}"
            );
        }
    }
}
