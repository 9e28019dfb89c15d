//! The whole payment state of a [`World`], read past the `Store` port where the port has no
//! listing (every payment, every hold on an invoice), and the invariants it must keep whatever
//! failed: every Succeeded payment has exactly one receipt and its invoices are Paid; every Paid
//! invoice is covered by exactly one Succeeded payment; receipt numbers of each school and school
//! year are 1..=n; only a Pending payment holds invoices.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use chrono::{Duration, Utc};
use hocphi_domain::{
    Invoice, InvoiceId, InvoiceStatus, Payment, PaymentRef, PaymentStatus, Receipt, Store,
};
use hocphi_store::dynamodb::Client;

use crate::World;

/// Where a world's store keeps its rows, for what the port does not list.
#[derive(Clone, Debug)]
pub enum Raw {
    Sqlite(PathBuf),
    Dynamo {
        client: Client,
        table: String,
    },
    /// Nothing to read (a store that cannot be reached).
    None,
}

/// An invoice's hold as stored: the payment holding it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hold {
    pub invoice: String,
    pub payment: String,
}

/// Every payment, invoice, receipt and hold of a world.
#[derive(Clone, Debug)]
pub struct Ledger {
    pub payments: Vec<Payment>,
    pub invoices: Vec<Invoice>,
    pub receipts: Vec<Receipt>,
    pub holds: Vec<Hold>,
}

/// A ledger without its random parts (references, tokens, times): two runs of one story that
/// ended alike have equal outlines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outline {
    pub invoices: Vec<(String, &'static str)>,
    /// Each payment's status, channel, amount and invoices, sorted.
    pub payments: Vec<(&'static str, &'static str, String, Vec<String>)>,
    /// Each receipt's number and the invoices it paid, sorted.
    pub receipts: Vec<(String, Vec<String>)>,
    pub holds: usize,
}

struct Rows {
    payments: Vec<String>,
    invoices: Vec<String>,
    holds: Vec<Hold>,
}

impl Raw {
    async fn rows(&self) -> Rows {
        match self {
            Self::Sqlite(path) => {
                let conn = rusqlite::Connection::open_with_flags(
                    path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                )
                .unwrap();
                let column = |sql: &str| -> Vec<String> {
                    let mut statement = conn.prepare(sql).unwrap();
                    statement
                        .query_map([], |row| row.get(0))
                        .unwrap()
                        .map(Result::unwrap)
                        .collect()
                };
                let payments = column("SELECT reference FROM payments");
                let invoices = column("SELECT id FROM invoices");
                let mut statement = conn
                    .prepare("SELECT id, held_by FROM invoices WHERE held_by IS NOT NULL")
                    .unwrap();
                let holds = statement
                    .query_map([], |row| {
                        Ok(Hold {
                            invoice: row.get(0)?,
                            payment: row.get(1)?,
                        })
                    })
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                Rows {
                    payments,
                    invoices,
                    holds,
                }
            }
            Self::Dynamo { client, table } => {
                let mut rows = Rows {
                    payments: Vec::new(),
                    invoices: Vec::new(),
                    holds: Vec::new(),
                };
                let mut start = None;
                loop {
                    let page = client
                        .scan()
                        .table_name(table)
                        .consistent_read(true)
                        .set_exclusive_start_key(start)
                        .send()
                        .await
                        .unwrap();
                    for item in page.items() {
                        let text = |name: &str| {
                            item.get(name)
                                .and_then(|v| v.as_s().ok())
                                .map(String::as_str)
                        };
                        let pk = text("PK").unwrap_or_default();
                        let own = text("SK").is_some_and(|sk| !sk.starts_with("EVENT"));
                        if !own {
                            continue;
                        }
                        if let Some(reference) = pk.strip_prefix("PAYMENT#") {
                            rows.payments.push(reference.to_owned());
                        } else if let Some(id) = pk.strip_prefix("INVOICE#") {
                            rows.invoices.push(id.to_owned());
                            if let Some(payment) = text("held_by") {
                                rows.holds.push(Hold {
                                    invoice: id.to_owned(),
                                    payment: payment.to_owned(),
                                });
                            }
                        }
                    }
                    start = page.last_evaluated_key().cloned();
                    if start.is_none() {
                        break rows;
                    }
                }
            }
            Self::None => Rows {
                payments: Vec::new(),
                invoices: Vec::new(),
                holds: Vec::new(),
            },
        }
    }
}

impl<S: Store> World<S> {
    /// Everything the world's store holds, read past [`crate::Faulty`] (no call counted, no
    /// fault met); receipts issued from the day before [`crate::t0`] to the day after now.
    pub async fn ledger(&self) -> Ledger {
        let store = &self.app.store.inner;
        let rows = self.raw.rows().await;
        let mut payments = Vec::new();
        for reference in &rows.payments {
            let reference = PaymentRef::parse(reference).unwrap();
            payments.push(store.payment(&reference).await.unwrap().unwrap());
        }
        let mut invoices = Vec::new();
        for id in &rows.invoices {
            let id = InvoiceId::parse(id).unwrap();
            invoices.push(store.invoice(&id).await.unwrap().unwrap());
        }
        invoices.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        let receipts = store
            .receipts_issued(
                crate::t0() - Duration::days(1),
                self.clock_now() + Duration::days(1),
                None,
            )
            .await
            .unwrap();
        let mut holds = rows.holds;
        holds.sort();
        Ledger {
            payments,
            invoices,
            receipts,
            holds,
        }
    }

    fn clock_now(&self) -> chrono::DateTime<Utc> {
        hocphi_domain::Clock::now(&self.clock)
    }
}

impl Ledger {
    /// Every invariant this ledger breaks, in words.
    pub fn violations(&self) -> Vec<String> {
        let mut broken = Vec::new();
        let status = |id: &InvoiceId| self.invoices.iter().find(|i| &i.id == id).map(|i| i.status);
        for payment in &self.payments {
            if payment.status != PaymentStatus::Succeeded {
                continue;
            }
            let receipts = self
                .receipts
                .iter()
                .filter(|r| r.payment == payment.reference)
                .count();
            if receipts != 1 {
                broken.push(format!(
                    "succeeded payment {} has {receipts} receipts",
                    payment.reference
                ));
            }
            for id in &payment.invoices {
                if status(id) != Some(InvoiceStatus::Paid) {
                    broken.push(format!(
                        "succeeded payment {} covers {id}, which is {:?}",
                        payment.reference,
                        status(id)
                    ));
                }
            }
        }
        for receipt in &self.receipts {
            let payment = self
                .payments
                .iter()
                .find(|p| p.reference == receipt.payment);
            if payment.is_none_or(|p| p.status != PaymentStatus::Succeeded) {
                broken.push(format!(
                    "receipt {} is of payment {}, which is {:?}",
                    receipt.number,
                    receipt.payment,
                    payment.map(|p| p.status)
                ));
            }
        }
        for invoice in &self.invoices {
            if invoice.status != InvoiceStatus::Paid {
                continue;
            }
            let covering = self
                .payments
                .iter()
                .filter(|p| {
                    p.status == PaymentStatus::Succeeded && p.invoices.contains(&invoice.id)
                })
                .count();
            if covering != 1 {
                broken.push(format!(
                    "paid invoice {} is covered by {covering} succeeded payments",
                    invoice.id
                ));
            }
        }
        let mut sequences: BTreeMap<(String, String), Vec<u32>> = BTreeMap::new();
        for receipt in &self.receipts {
            sequences
                .entry((
                    receipt.school.to_string(),
                    receipt.number.school_year.to_string(),
                ))
                .or_default()
                .push(receipt.number.sequence);
        }
        for ((school, year), mut numbers) in sequences {
            numbers.sort_unstable();
            let expected: Vec<u32> = (1..).take(numbers.len()).collect();
            if numbers != expected {
                broken.push(format!(
                    "receipt numbers of {school} {year} are {numbers:?}"
                ));
            }
        }
        for hold in &self.holds {
            let holder = self
                .payments
                .iter()
                .find(|p| p.reference.as_str() == hold.payment);
            if holder.is_none_or(|p| p.status != PaymentStatus::Pending) {
                broken.push(format!(
                    "invoice {} is held by payment {}, which is {:?}",
                    hold.invoice,
                    hold.payment,
                    holder.map(|p| p.status)
                ));
            }
        }
        broken
    }

    /// The ledger without its random parts.
    pub fn outline(&self) -> Outline {
        let invoices_of = |payment: &Payment| -> Vec<String> {
            let mut ids: Vec<String> = payment.invoices.iter().map(ToString::to_string).collect();
            ids.sort();
            ids
        };
        let mut payments: Vec<_> = self
            .payments
            .iter()
            .map(|p| {
                (
                    p.status.as_str(),
                    p.gateway.as_str(),
                    p.amount.to_string(),
                    invoices_of(p),
                )
            })
            .collect();
        payments.sort();
        let mut receipts: Vec<_> = self
            .receipts
            .iter()
            .map(|r| {
                let paid: BTreeSet<String> = self
                    .payments
                    .iter()
                    .filter(|p| p.reference == r.payment)
                    .flat_map(invoices_of)
                    .collect();
                (r.number.to_string(), paid.into_iter().collect())
            })
            .collect();
        receipts.sort();
        Outline {
            invoices: self
                .invoices
                .iter()
                .map(|i| (i.id.to_string(), i.status.as_str()))
                .collect(),
            payments,
            receipts,
            holds: self.holds.len(),
        }
    }
}
