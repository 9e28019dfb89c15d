//! The index attributes of items written before their index existed, recomputed and written.
//!
//! An item's index attributes (`GSI1*`, `GSI2*`, `GSI3*`) are computed from its body by the
//! functions the store writes it with ([`school_item`], [`invoice_item`], [`payment_item`],
//! [`receipt_item`]), so an item an earlier version wrote lacks the keys added since, and the
//! queries over those indexes miss it. [`DynamoStore::reindex`] scans the table page by page,
//! recomputes each school's, invoice's, payment's and receipt's index attributes with those same
//! functions, and when any differs updates the item: SET what is missing or changed, REMOVE
//! what should be absent. Invariants: an update is conditioned on the body it was computed from
//! (a concurrent write wins; the item is counted as skipped and a rerun picks it up); only index
//! attributes are written; a second run updates nothing; a dry run writes nothing.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use hocphi_domain::{Invoice, PageToken, Payment, Receipt, School, StoreError};

use super::{
    DynamoStore, INDEXES, Item, Result, body, invoice_item, names, page_start, page_token,
    payment_item, receipt_item, school_item, text, values,
};

/// Items a scan page reads at most.
const PAGE: i32 = 500;

/// The kinds of item that carry index attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IndexedKind {
    School,
    Invoice,
    Payment,
    Receipt,
}

impl IndexedKind {
    /// Every kind, in the order a report lists them.
    pub const ALL: [IndexedKind; 4] = [Self::School, Self::Invoice, Self::Payment, Self::Receipt];

    /// The sort key of the kind's items (the table's docs).
    fn sort_key(self) -> &'static str {
        match self {
            Self::School => "SCHOOL",
            Self::Invoice => "INVOICE",
            Self::Payment => "PAYMENT",
            Self::Receipt => "RECEIPT",
        }
    }

    fn of(item: &Item) -> Option<Self> {
        let sk = text(item, "SK").ok()?;
        Self::ALL.into_iter().find(|kind| kind.sort_key() == sk)
    }

    /// The index attributes the store writes for `item`'s body.
    fn expected(self, item: &Item) -> Result<Item> {
        let full = match self {
            Self::School => school_item(&body::<School>(item)?),
            Self::Invoice => invoice_item(&body::<Invoice>(item)?)?,
            Self::Payment => payment_item(&body::<Payment>(item)?)?,
            Self::Receipt => receipt_item(&body::<Receipt>(item)?)?,
        };
        Ok(index_attributes(full))
    }
}

/// What a reindex found and did for one kind of item.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KindCounts {
    /// Items read.
    pub scanned: u64,
    /// Items whose index attributes were written (in a dry run: would be).
    pub updated: u64,
    /// Items changed by someone else between read and write: left for a rerun.
    pub skipped: u64,
}

/// What [`DynamoStore::reindex`] found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReindexReport {
    /// Nothing was written.
    pub dry_run: bool,
    /// Items of every kind the scan read.
    pub read: u64,
    pub schools: KindCounts,
    pub invoices: KindCounts,
    pub payments: KindCounts,
    pub receipts: KindCounts,
}

impl ReindexReport {
    /// The counts of `kind`.
    pub fn of(&self, kind: IndexedKind) -> &KindCounts {
        match kind {
            IndexedKind::School => &self.schools,
            IndexedKind::Invoice => &self.invoices,
            IndexedKind::Payment => &self.payments,
            IndexedKind::Receipt => &self.receipts,
        }
    }

    fn of_mut(&mut self, kind: IndexedKind) -> &mut KindCounts {
        match kind {
            IndexedKind::School => &mut self.schools,
            IndexedKind::Invoice => &mut self.invoices,
            IndexedKind::Payment => &mut self.payments,
            IndexedKind::Receipt => &mut self.receipts,
        }
    }

    /// Items updated, every kind together.
    pub fn updated(&self) -> u64 {
        IndexedKind::ALL.iter().map(|k| self.of(*k).updated).sum()
    }

    /// Items skipped, every kind together.
    pub fn skipped(&self) -> u64 {
        IndexedKind::ALL.iter().map(|k| self.of(*k).skipped).sum()
    }
}

/// Where a reindex is, reported after each page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReindexProgress {
    /// The table's item count as DynamoDB last published it (about every six hours), when
    /// known and readable (`DescribeTable`).
    pub estimate: Option<u64>,
    /// The counts so far; `read` goes towards `estimate`.
    pub report: ReindexReport,
}

/// The index attributes one item lacks or should not have, and the body they were computed from.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexFix {
    pub kind: IndexedKind,
    key: Item,
    read: String,
    set: Item,
    remove: Vec<String>,
}

/// One page of the scan.
#[derive(Clone, Debug, PartialEq)]
pub struct ReindexPage {
    /// Items of every kind read.
    pub read: u64,
    /// Items of each indexed kind read.
    pub scanned: HashMap<IndexedKind, u64>,
    /// The updates the page's items need.
    pub fixes: Vec<IndexFix>,
    /// Where the next page starts; `None` after the last.
    pub next: Option<PageToken>,
}

/// The attributes of `item` an index is keyed by.
fn index_attributes(item: Item) -> Item {
    let names = index_names();
    item.into_iter()
        .filter(|(name, _)| names.contains(name))
        .collect()
}

fn index_names() -> Vec<String> {
    INDEXES
        .iter()
        .flat_map(|index| [format!("{index}PK"), format!("{index}SK")])
        .collect()
}

/// The fix `item` needs, `None` when its index attributes are as the store writes them.
fn fix(kind: IndexedKind, item: &Item) -> Result<Option<IndexFix>> {
    let expected = kind.expected(item).map_err(|e| match e {
        StoreError::Corrupt(why) => StoreError::Corrupt(format!(
            "{}: {why}",
            text(item, "PK").unwrap_or("an item without PK")
        )),
        other => other,
    })?;
    let set: Item = expected
        .iter()
        .filter(|(name, value)| item.get(*name) != Some(value))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let mut remove: Vec<String> = index_names()
        .into_iter()
        .filter(|name| item.contains_key(name) && !expected.contains_key(name))
        .collect();
    if set.is_empty() && remove.is_empty() {
        return Ok(None);
    }
    remove.sort();
    let key = ["PK", "SK"]
        .into_iter()
        .map(|name| {
            Ok((
                name.to_owned(),
                AttributeValue::S(text(item, name)?.to_owned()),
            ))
        })
        .collect::<Result<Item>>()?;
    Ok(Some(IndexFix {
        kind,
        key,
        read: text(item, "body")?.to_owned(),
        set,
        remove,
    }))
}

impl DynamoStore {
    /// Scans the table, writing the index attributes of every item that lacks the ones the store
    /// writes today (a dry run only counts them); `progress` hears after each page.
    pub async fn reindex(
        &self,
        dry_run: bool,
        mut progress: impl FnMut(ReindexProgress),
    ) -> Result<ReindexReport> {
        let estimate = self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .ok()
            .and_then(|described| described.table)
            .and_then(|t| t.item_count)
            .and_then(|count| u64::try_from(count).ok());
        let mut report = ReindexReport {
            dry_run,
            ..ReindexReport::default()
        };
        let mut from = None;
        loop {
            let page = self.reindex_page(from.as_ref()).await?;
            report.read += page.read;
            for (kind, scanned) in &page.scanned {
                report.of_mut(*kind).scanned += scanned;
            }
            for fix in &page.fixes {
                let counts = report.of_mut(fix.kind);
                if dry_run || self.apply_index_fix(fix).await? {
                    counts.updated += 1;
                } else {
                    counts.skipped += 1;
                }
            }
            progress(ReindexProgress {
                estimate,
                report: report.clone(),
            });
            match page.next {
                Some(next) => from = Some(next),
                None => return Ok(report),
            }
        }
    }

    /// Reads one page of the scan from `from` (the start when `None`) and works out the fixes
    /// its items need, writing nothing.
    pub async fn reindex_page(&self, from: Option<&PageToken>) -> Result<ReindexPage> {
        let mut attributes = vec!["#PK", "#SK", "#body"];
        let indexed: Vec<String> = index_names().iter().map(|n| format!("#{n}")).collect();
        attributes.extend(indexed.iter().map(String::as_str));
        let projection = attributes.join(", ");
        let filter = "#SK IN (:school, :invoice, :payment, :receipt)";
        let output = self
            .client
            .scan()
            .table_name(&self.table)
            .projection_expression(&projection)
            .filter_expression(filter)
            .set_expression_attribute_names(names(&[&projection, filter]))
            .set_expression_attribute_values(values(&[
                (":school", AttributeValue::S("SCHOOL".into())),
                (":invoice", AttributeValue::S("INVOICE".into())),
                (":payment", AttributeValue::S("PAYMENT".into())),
                (":receipt", AttributeValue::S("RECEIPT".into())),
            ]))
            .limit(PAGE)
            .set_exclusive_start_key(from.map(page_start).transpose()?)
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        let mut page = ReindexPage {
            read: u64::try_from(output.scanned_count).unwrap_or(0),
            scanned: HashMap::new(),
            fixes: Vec::new(),
            next: output
                .last_evaluated_key
                .as_ref()
                .map(page_token)
                .transpose()?,
        };
        for item in output.items.unwrap_or_default() {
            let Some(kind) = IndexedKind::of(&item) else {
                continue;
            };
            *page.scanned.entry(kind).or_default() += 1;
            page.fixes.extend(fix(kind, &item)?);
        }
        Ok(page)
    }

    /// Writes one fix, only while the item's body is still the one it was computed from; `false`
    /// when the item changed or went meanwhile.
    pub async fn apply_index_fix(&self, fix: &IndexFix) -> Result<bool> {
        let mut clauses = Vec::new();
        let mut pairs: Vec<(String, AttributeValue)> = Vec::new();
        let mut set: Vec<_> = fix.set.iter().collect();
        set.sort_by(|a, b| a.0.cmp(b.0));
        if !set.is_empty() {
            let assignments: Vec<String> = set
                .iter()
                .map(|(name, _)| format!("#{name} = :{name}"))
                .collect();
            clauses.push(format!("SET {}", assignments.join(", ")));
            pairs.extend(set.iter().map(|(n, v)| (format!(":{n}"), (*v).clone())));
        }
        if !fix.remove.is_empty() {
            let removed: Vec<String> = fix.remove.iter().map(|n| format!("#{n}")).collect();
            clauses.push(format!("REMOVE {}", removed.join(", ")));
        }
        let expression = clauses.join(" ");
        let condition = "#body = :read";
        pairs.push((":read".to_owned(), AttributeValue::S(fix.read.clone())));
        let pairs: Vec<(&str, AttributeValue)> =
            pairs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(fix.key.clone()))
            .update_expression(&expression)
            .condition_expression(condition)
            .set_expression_attribute_names(names(&[&expression, condition]))
            .set_expression_attribute_values(values(&pairs))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) => match err.into_service_error() {
                UpdateItemError::ConditionalCheckFailedException(_) => Ok(false),
                other => Err(StoreError::unavailable(other)),
            },
        }
    }
}
