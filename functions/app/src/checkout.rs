//! `POST /api/payments`: a parent's payment attempt, made idempotent by its `Idempotency-Key`.
//!
//! Invariants: the same key and body replay the first answer (201 or 409) without doing anything
//! again; the same key with another body is refused, the body's `locale` and `code` aside (a
//! parent who switches language between two taps gets the same payment back; the stored
//! fingerprint keeps nothing of the lookup code, which a hash of it would let a copy of the store
//! guess offline); a request that failed for any other reason releases its key so a retry can
//! run. A payment holds its invoices from the moment it is stored; if the gateway cannot be
//! reached afterwards, the payment is closed at once so the invoices are free again. The
//! payment's reference is recorded with the key's lease before the payment exists, so a retry
//! that takes over the lease of a run that died mid-way (killed at the function's deadline, or
//! unable to record its answer) resumes that run's payment instead of meeting its hold. A
//! channel's amount limits are checked before anything is stored, and every gateway call ends
//! within what is left of [`crate::Settings::checkout_budget`]. A fee notice's payment code
//! (the portal's `?ma=` link) stands in for the lookup code, behind the same limits, and pays
//! only invoices of its school year. The voluntary items a parent ticked are named by invoice and
//! position and must be voluntary lines of the invoices paid, each once; anything else is
//! answered 422 with what to do, and nothing is stored.

use std::net::IpAddr;
use std::time::Instant;

use hocphi_api::{BankTransfer, CreatePaymentRequest, CreatePaymentResponse};
use hocphi_domain::{
    Actor, Claim, Clock, ConflictReason, CreatePaymentError, Fingerprint, GatewayCode,
    GatewayEvent, GatewayKind, IdempotencyBegin, IdempotencyKey, Invoice, InvoiceId, LeaseToken,
    LineRef, PayeeId, Payment, PaymentCode, PaymentError, PaymentRef, ReceiptToken, Store,
    StoredResponse, StudentCode,
};
use hocphi_gateways::{Checkout, CheckoutContext, Finished, Gateway, Locale, payos};

use crate::{ApiError, App, Field, Transport, random};

/// The route's own name in fingerprints, so a key reused on another route never replays.
const ROUTE: &[u8] = b"POST /api/payments\n";

/// Kept from the checkout's budget for what follows a gateway call: closing the payment or
/// recording the answer.
const AFTER_THE_CALL: std::time::Duration = std::time::Duration::from_secs(1);

/// A checkout request, checked.
struct Order {
    kind: GatewayKind,
    locale: Locale,
    student: hocphi_domain::StudentCode,
    invoices: Vec<Invoice>,
    /// The voluntary lines ticked, as named (checked against the invoices when the payment opens).
    voluntary: Vec<LineRef>,
    /// payOS only: the school's payee, whose channel takes the transfer.
    payee: Option<PayeeId>,
}

/// Why a run ended without an answer to record, and whether its key may be released.
enum Stop {
    /// Nothing holds the invoices: release the key so a retry runs afresh.
    Release(ApiError),
    /// This key's payment may still hold its invoices: keep the lease, so a retry once it lapses
    /// resumes the payment.
    Keep(ApiError),
    /// The payment recorded with the key has ended or lapsed: begin again with a new one.
    Renew,
}

impl From<ApiError> for Stop {
    fn from(err: ApiError) -> Self {
        Self::Release(err)
    }
}

impl<S: Store, C: Clock, T: Transport> App<S, C, T> {
    /// Runs a checkout under its idempotency key and answers the response to send (fresh or
    /// replayed).
    pub async fn checkout(
        &self,
        key: Option<&str>,
        body: &[u8],
        client_ip: IpAddr,
    ) -> Result<StoredResponse, ApiError> {
        let started = Instant::now();
        let key = key.ok_or(ApiError::MissingIdempotencyKey)?;
        let key = IdempotencyKey::parse(key).map_err(|_| ApiError::Invalid {
            field: Field::IdempotencyKey,
            message: "Khoá chống trùng lặp (Idempotency-Key) không hợp lệ.",
        })?;
        let request: CreatePaymentRequest =
            serde_json::from_slice(body).map_err(|_| ApiError::BadJson)?;
        let canonical = serde_json::to_vec(&CreatePaymentRequest {
            locale: None,
            code: String::new(),
            ..request.clone()
        })
        .map_err(|e| ApiError::Internal(e.into()))?;
        let fingerprint = Fingerprint::of(&[ROUTE, &canonical].concat());
        let kind = GatewayKind::parse(&request.gateway);
        let mut renewed = false;
        loop {
            let now = self.clock.now();
            let claim = Claim {
                token: LeaseToken::from_entropy(random()?),
                payment: new_reference(kind, now)?,
            };
            let reference = match self
                .store
                .begin_request(
                    &key,
                    fingerprint,
                    &claim,
                    now,
                    self.settings.idempotency_lease,
                )
                .await?
            {
                IdempotencyBegin::Started { payment } => payment,
                IdempotencyBegin::Replay(response) => return Ok(response),
                IdempotencyBegin::InProgress => return Err(ApiError::InProgress),
                IdempotencyBegin::Mismatch => return Err(ApiError::KeyReused),
            };
            let inherited = reference != claim.payment;
            let outcome = self
                .run(&request, client_ip, &reference, inherited, started)
                .await;
            let stored = match outcome {
                Ok(created) => StoredResponse {
                    status: 201,
                    body: serde_json::to_string(&created)
                        .map_err(|e| ApiError::Internal(e.into()))?,
                },
                Err(Stop::Release(err @ ApiError::InvoiceUnavailable { .. })) => StoredResponse {
                    status: err.parts().0,
                    body: serde_json::to_string(&err.body())
                        .map_err(|e| ApiError::Internal(e.into()))?,
                },
                Err(Stop::Release(err)) => {
                    self.store.release_request(&key, &claim.token).await?;
                    return Err(err);
                }
                Err(Stop::Keep(err)) => return Err(err),
                Err(Stop::Renew) if !renewed => {
                    renewed = true;
                    self.store.release_request(&key, &claim.token).await?;
                    continue;
                }
                Err(Stop::Renew) => return Err(ApiError::InProgress),
            };
            if let Err(err) = self
                .store
                .complete_request(
                    &key,
                    &claim.token,
                    &stored,
                    self.clock.now(),
                    self.settings.idempotency_keep,
                )
                .await
            {
                tracing::error!(
                    payment_ref = %reference,
                    error = %err,
                    "checkout answered but not recorded: a retry resumes the payment"
                );
            }
            return Ok(stored);
        }
    }

    /// Creates the payment `reference` names, or resumes it when an earlier run of this request
    /// recorded it (`inherited`), then takes it to its gateway.
    async fn run(
        &self,
        request: &CreatePaymentRequest,
        client_ip: IpAddr,
        reference: &PaymentRef,
        inherited: bool,
        started: Instant,
    ) -> Result<CreatePaymentResponse, Stop> {
        let order = self
            .order(request, client_ip)
            .await
            .map_err(|err| match err {
                ApiError::InvoiceUnavailable { .. } => Stop::Release(err),
                err if inherited => Stop::Keep(err),
                err => Stop::Release(err),
            })?;
        let now = self.clock.now();
        let existing = if inherited {
            self.store
                .payment(reference)
                .await
                .map_err(|err| Stop::Keep(err.into()))?
        } else {
            None
        };
        let resumed = existing.is_some();
        let payment = match existing {
            Some(payment)
                if payment.is_live(now)
                    && payment.gateway == order.kind
                    && payment.payee == order.payee =>
            {
                payment
            }
            Some(_) => return Err(Stop::Renew),
            None => self.open(&order, reference.clone(), inherited).await?,
        };
        let context = CheckoutContext {
            client_ip,
            locale: order.locale,
            return_url: format!("{}/ket-qua", self.settings.site_url),
            order_info: format!("Thanh toan hoc phi {} {}", order.student, payment.reference),
            bank_code: None,
            now,
        };
        let finished = match self.redirect(&payment, &context, started).await {
            Ok(finished) => finished,
            Err(err) if self.abandon(&payment).await => return Err(Stop::Release(err)),
            Err(err) => return Err(Stop::Keep(err)),
        };
        tracing::info!(
            payment_ref = %payment.reference,
            gateway = payment.gateway.as_str(),
            amount = %payment.amount.vnd(),
            invoices = payment.invoices.len(),
            voluntary = payment.voluntary.len(),
            resumed,
            "payment created"
        );
        Ok(CreatePaymentResponse {
            payment_ref: payment.reference.clone(),
            amount: payment.amount,
            status: payment.status,
            redirect_url: finished.redirect_url,
            expires_at: payment.expires_at,
            transfer: finished.transfer.map(|t| BankTransfer {
                qr: crate::qr::picture(&t.qr_code),
                qr_code: t.qr_code,
                bank_bin: t.bank_bin,
                bank_name: t.bank_name.map(str::to_owned),
                account_number: t.account_number,
                account_name: t.account_name,
                amount: payment.amount,
                memo: t.memo,
            }),
        })
    }

    /// Reads and checks the request: channel, language, invoices, and the parent's codes.
    async fn order(
        &self,
        request: &CreatePaymentRequest,
        client_ip: IpAddr,
    ) -> Result<Order, ApiError> {
        let kind = GatewayKind::parse(&request.gateway).ok_or(ApiError::Invalid {
            field: Field::Gateway,
            message: "Phương thức thanh toán không hợp lệ.",
        })?;
        let locale = match request.locale.as_deref() {
            None | Some("vi") => Locale::Vietnamese,
            Some("en") => Locale::English,
            Some(_) => {
                return Err(ApiError::Invalid {
                    field: Field::Locale,
                    message: "Ngôn ngữ phải là vi hoặc en.",
                });
            }
        };
        let ids = parse_ids(&request.invoice_ids)?;
        let voluntary = parse_choices(&request.voluntary)?;
        let (student, year) = match PaymentCode::parse(&request.code) {
            Ok(code) => {
                let student = self.authenticate_payment_code(&code, client_ip).await?;
                if StudentCode::parse(&request.student).ok().as_ref() != Some(&student.code) {
                    return Err(ApiError::NotFound);
                }
                (student, Some(code))
            }
            Err(_) => {
                let student = self
                    .authenticate(&request.student, &request.code, client_ip)
                    .await?;
                (student, None)
            }
        };
        let gateway = self.gateways.get(kind).ok_or(ApiError::GatewayNotOffered)?;
        let payee = match gateway {
            Gateway::Payos(channels) => {
                let school = self.store.school(&student.school).await?;
                let payee = school.and_then(|school| school.payee).ok_or(NO_TRANSFER)?;
                if !channels.serves(&payee) {
                    tracing::warn!(payee = %payee, "the school's payee has no payOS channel");
                    return Err(NO_TRANSFER);
                }
                Some(payee)
            }
            Gateway::Vnpay(_) | Gateway::Momo(_) | Gateway::Dvcqg(_) => None,
        };
        let mut invoices = Vec::with_capacity(ids.len());
        for id in ids {
            match self.store.invoice(&id).await? {
                Some(invoice)
                    if invoice.student == student.code
                        && year.as_ref().is_none_or(|c| c.is_for(invoice.school_year)) =>
                {
                    invoices.push(invoice)
                }
                Some(_) | None => {
                    return Err(ApiError::InvoiceUnavailable {
                        invoice: id,
                        reason: ConflictReason::Missing,
                    });
                }
            }
        }
        Ok(Order {
            kind,
            locale,
            student: student.code,
            invoices,
            voluntary,
            payee,
        })
    }

    /// Stores the payment `reference` for the order, once its total is within the channel's
    /// limits. A run that inherited `reference` and finds it stored meanwhile (its first run was
    /// still finishing) takes that payment.
    async fn open(
        &self,
        order: &Order,
        reference: PaymentRef,
        inherited: bool,
    ) -> Result<Payment, Stop> {
        let now = self.clock.now();
        let payment = Payment {
            payee: order.payee.clone(),
            ..Payment::open(
                reference,
                &order.invoices,
                &order.voluntary,
                order.kind,
                now,
                self.settings.time_to_pay,
            )
            .map_err(payment_error)?
        };
        let gateway = self
            .gateways
            .get(order.kind)
            .ok_or(ApiError::GatewayNotOffered)?;
        if let Some((min, max)) = gateway.amount_limits()
            && !(min..=max).contains(&payment.amount.vnd())
        {
            return Err(ApiError::AmountOutOfRange {
                gateway: order.kind,
            }
            .into());
        }
        match self
            .store
            .create_payment(&payment, now, &Actor::Parent)
            .await
        {
            Ok(()) => Ok(payment),
            Err(CreatePaymentError::Conflict { invoice, reason }) => {
                Err(ApiError::InvoiceUnavailable { invoice, reason }.into())
            }
            Err(CreatePaymentError::DuplicateReference) if inherited => {
                match self.store.payment(&payment.reference).await {
                    Ok(Some(stored)) if stored.is_live(now) => Ok(stored),
                    Ok(_) => Err(Stop::Renew),
                    Err(err) => Err(Stop::Keep(err.into())),
                }
            }
            Err(CreatePaymentError::DuplicateReference) => {
                Err(ApiError::Internal("a generated payment reference collided".into()).into())
            }
            Err(CreatePaymentError::Store(err)) => Err(Stop::Keep(err.into())),
        }
    }

    /// Where the parent goes to pay: the gateway's URL, through its API when it has a create
    /// call (which must answer within what is left of the checkout's budget), with a bank
    /// transfer's details when the channel gives them.
    async fn redirect(
        &self,
        payment: &Payment,
        context: &CheckoutContext,
        started: Instant,
    ) -> Result<Finished, ApiError> {
        let gateway = self
            .gateways
            .get(payment.gateway)
            .ok_or(ApiError::GatewayNotOffered)?;
        match gateway
            .checkout(payment, context)
            .map_err(|e| ApiError::Internal(e.into()))?
        {
            Checkout::Redirect { url } => Ok(Finished {
                redirect_url: url,
                transfer: None,
            }),
            Checkout::Call(mut call) => {
                let left = self
                    .settings
                    .checkout_budget
                    .saturating_sub(started.elapsed())
                    .saturating_sub(AFTER_THE_CALL);
                call.timeout = call.timeout.min(left);
                let (_, body) = self
                    .transport
                    .send(&call)
                    .await
                    .map_err(|e| ApiError::GatewayUnavailable(e.into()))?;
                gateway
                    .finish_checkout(payment, &body)
                    .map_err(|e| ApiError::GatewayUnavailable(e.into()))
            }
        }
    }

    /// Closes a payment whose gateway step failed, so its invoices are free at once; `false`
    /// when it could not be closed (it then holds them until it expires or a retry resumes it).
    async fn abandon(&self, payment: &Payment) -> bool {
        let Ok(code) = GatewayCode::parse("UNREACHABLE") else {
            return false;
        };
        let token = ReceiptToken::from_entropy([0; 16]);
        let event = GatewayEvent::Declined { txn: None, code };
        match self
            .store
            .settle(
                &payment.reference,
                payment.gateway,
                &event,
                self.clock.now(),
                &token,
                &Actor::Parent,
            )
            .await
        {
            Ok(_) => true,
            Err(err) => {
                tracing::error!(payment_ref = %payment.reference, error = %err, "could not close an abandoned payment");
                false
            }
        }
    }
}

/// A payOS checkout for a school that has no payee, or whose payee has no channel.
const NO_TRANSFER: ApiError = ApiError::Invalid {
    field: Field::Gateway,
    message: "Trường của học sinh chưa nhận chuyển khoản ngân hàng (VietQR); vui lòng chọn phương thức thanh toán khác.",
};

/// A fresh reference for a payment through `kind`: a payOS reference maps to its `orderCode`.
fn new_reference(
    kind: Option<GatewayKind>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<PaymentRef, ApiError> {
    match kind {
        Some(GatewayKind::Payos) => payos::payos_reference(now, random()?)
            .ok_or_else(|| ApiError::Internal("no payOS reference at this date".into())),
        Some(
            GatewayKind::Vnpay | GatewayKind::Momo | GatewayKind::Dvcqg | GatewayKind::Partner,
        )
        | None => Ok(PaymentRef::generate(now, random()?)),
    }
}

fn parse_ids(raw: &[String]) -> Result<Vec<InvoiceId>, ApiError> {
    const INVALID: ApiError = ApiError::Invalid {
        field: Field::InvoiceIds,
        message: "Danh sách khoản thu không hợp lệ.",
    };
    if raw.is_empty() {
        return Err(ApiError::Invalid {
            field: Field::InvoiceIds,
            message: "Vui lòng chọn ít nhất một khoản thu.",
        });
    }
    if raw.len() > Payment::MAX_INVOICES {
        return Err(ApiError::Invalid {
            field: Field::InvoiceIds,
            message: "Mỗi lần chỉ thanh toán được tối đa 12 khoản thu.",
        });
    }
    raw.iter()
        .map(|id| InvoiceId::parse(id).map_err(|_| INVALID))
        .collect()
}

fn parse_choices(raw: &[hocphi_api::VoluntaryChoice]) -> Result<Vec<LineRef>, ApiError> {
    raw.iter()
        .map(|choice| {
            Ok(LineRef {
                invoice: InvoiceId::parse(&choice.invoice_id).map_err(|_| ApiError::Voluntary {
                    message: "Khoản tự nguyện đã chọn không hợp lệ. Vui lòng tải lại danh sách.",
                })?,
                line: choice.line,
            })
        })
        .collect()
}

fn payment_error(err: PaymentError) -> ApiError {
    match err {
        PaymentError::NotOpen(invoice) => ApiError::InvoiceUnavailable {
            invoice,
            reason: ConflictReason::NotOpen,
        },
        PaymentError::Mixed => ApiError::Invalid {
            field: Field::InvoiceIds,
            message: "Chỉ thanh toán cùng lúc các khoản thu của cùng một trường và cùng năm học.",
        },
        PaymentError::DuplicateInvoice(_)
        | PaymentError::NoInvoices
        | PaymentError::TooManyInvoices(_) => ApiError::Invalid {
            field: Field::InvoiceIds,
            message: "Danh sách khoản thu không hợp lệ.",
        },
        PaymentError::Amount(_) => ApiError::Invalid {
            field: Field::InvoiceIds,
            message: "Tổng số tiền vượt quá giới hạn của cổng thanh toán.",
        },
        PaymentError::UncoveredChoice(_) => ApiError::Voluntary {
            message: "Khoản tự nguyện đã chọn không thuộc các khoản thu đang thanh toán. Vui lòng chọn lại.",
        },
        PaymentError::NoSuchLine(_) => ApiError::Voluntary {
            message: "Khoản tự nguyện đã chọn không còn trong khoản thu. Vui lòng tải lại danh sách.",
        },
        PaymentError::NotVoluntary(_) => ApiError::Voluntary {
            message: "Chỉ chọn thêm được các khoản tự nguyện; các khoản bắt buộc đã tính trong tổng số tiền.",
        },
        PaymentError::DuplicateChoice(_) => ApiError::Voluntary {
            message: "Mỗi khoản tự nguyện chỉ chọn một lần.",
        },
    }
}
